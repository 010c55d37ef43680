"""Counters and histograms of every process reach the scrape (prometheus-client's
multiprocess mode), and a starting process group removes the files of its host's
finished processes, never those of a live one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import pytest
from celery.signals import worker_init
from django.conf import settings
from django.core.management import call_command

from tests.metrics.conftest import value
from vending.aws.call_metrics import ORGANIZATIONS_CALLS
from vending.metrics.multiprocess import metrics_files_prune, metrics_folder, process_identifier

ROOT = Path(__file__).resolve().parents[2]
CALLS = "vending_organizations_calls_total"


def dead_pid() -> int:
    """A pid no process can have: above the kernel's maximum."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def host() -> str:
    return process_identifier().rsplit("-", 1)[0]


def test_every_process_writes_into_the_settings_folder():
    folder = metrics_folder()
    assert folder == Path(settings.PROMETHEUS_MULTIPROC_DIR)
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
    ORGANIZATIONS_CALLS.labels(operation="Probe", outcome="ok", code="").inc()
    assert (folder / f"counter_{host()}-{os.getpid()}.db").is_file()


def test_prune_removes_only_the_files_of_this_hosts_finished_processes():
    folder = metrics_folder()
    ORGANIZATIONS_CALLS.labels(operation="Probe", outcome="ok", code="").inc()
    mine = folder / f"counter_{host()}-{os.getpid()}.db"
    finished = [
        folder / f"counter_{host()}-{dead_pid()}.db",
        folder / f"histogram_{host()}-{dead_pid()}.db",
    ]
    elsewhere = folder / f"counter_other-container-{dead_pid()}.db"  # its pids are not ours
    foreign = [folder / f"counter_{dead_pid()}.db", folder / "README"]  # not named by us
    for path in [*finished, elsewhere, *foreign]:
        path.write_bytes(b"")

    removed = set(metrics_files_prune())
    # (Files of other processes this test run forked and finished may go too.)
    assert set(finished) <= removed
    assert not removed & {mine, elsewhere, *foreign}
    assert mine.is_file() and elsewhere.is_file() and all(p.is_file() for p in foreign)
    for path in [elsewhere, *foreign]:
        path.unlink()


@pytest.mark.django_db
def test_a_celery_worker_and_portal_init_prune_when_they_start(settings):
    settings.VENDING_EMULATOR = False  # portal_init then only migrates
    stale = metrics_folder() / f"counter_{host()}-{dead_pid()}.db"

    # The receiver of Celery's worker_init, which a worker sends before its pool forks.
    from portal.celery_app import _prune_metrics_files

    receivers = [
        r() if isinstance(r, weakref.ReferenceType) else r for _, r in worker_init.receivers
    ]
    assert _prune_metrics_files in receivers
    stale.write_bytes(b"")
    _prune_metrics_files()
    assert not stale.exists()

    stale.write_bytes(b"")
    call_command("portal_init", skip_migrate=True)
    assert not stale.exists()


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.django_db
def test_calls_counted_in_another_process_reach_the_scrape(scraper):
    """As a Celery worker does: its own Django, its own gateway, its own files."""
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from moto import mock_aws
        from vending.aws import OrganizationsGateway
        with mock_aws():
            gateway = OrganizationsGateway()
            gateway.create_organization()
            for _ in range(3):
                gateway.list_roots()
        """
    )
    before = value(scraper.samples(), CALLS, operation="ListRoots", outcome="ok", code="")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]

    seen = value(scraper.samples(), CALLS, operation="ListRoots", outcome="ok", code="")
    assert seen == before + 3
    # The process has finished; its counts stay until a process group starts and prunes.
    metrics_files_prune()
    after = value(scraper.samples(), CALLS, operation="ListRoots", outcome="ok", code="")
    assert after == before


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.django_db
def test_a_forked_child_counts_in_files_of_its_own(scraper):
    """gunicorn and Celery's prefork pool fork after the app is loaded: a child must not
    write into the files its parent already has open."""
    labels = {"operation": "ForkProbe", "outcome": "ok", "code": ""}
    counter = ORGANIZATIONS_CALLS.labels(**labels)
    counter.inc()  # the parent's files are open before the fork
    before = value(scraper.samples(), CALLS, **labels)

    pid = os.fork()
    if pid == 0:  # the child: count once and leave without any cleanup
        try:
            ORGANIZATIONS_CALLS.labels(**labels).inc()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    counter.inc()  # the parent again

    assert value(scraper.samples(), CALLS, **labels) == before + 2
