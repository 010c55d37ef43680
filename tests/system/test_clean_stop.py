"""Ctrl-C on `make run`: honcho (portal/procfile.py) runs the Procfile's web, worker,
beat and emulator; one SIGINT stops every one of them by itself, within seconds, with
none left behind.

Before the fix the worker's pool processes shared its process group, so honcho's
SIGTERM to the group killed them at once ("Process 'ForkPoolWorker-N' exited with
'signal 15'"), the pool started new ones, and the worker's main process waited on them
after "Warm shutdown" until honcho SIGKILLed it (portal/celery_app.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.system.harness import PYTHON, ROOT, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial]

BIN = Path(PYTHON).parent
STOP_SECONDS = 10


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (honcho starts each in a session of its own,
    so their process groups are not honcho's)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def make_run_environment(tmp_path: Path) -> dict[str, str]:
    """What `make run` exports (Makefile), on free ports and a var/ folder of its own."""
    emulator_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DJANGO_"))}
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        VENDING_VAR_DIR=str(tmp_path / "var"),
        EMULATOR_PORT=str(emulator_port),
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{emulator_port}",
        VENDING_EMULATOR="true",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        DJANGO_DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'portal.sqlite3'}",
    )
    env.pop("CELERY_BROKER_URL", None)  # the embedded filesystem broker, as make run
    return env


def test_one_sigint_stops_every_process_of_make_run(tmp_path):
    env = make_run_environment(tmp_path)
    (tmp_path / "var").mkdir()
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=180)  # fmt: skip
    port = free_port()
    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            # As the Makefile runs it: honcho with a stop grace (portal/procfile.py).
            [PYTHON, "-m", "portal.procfile", "start", "--no-colour", "--port", str(port),
             "web", "worker", "beat", "emulator"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    processes: set[int] = set()
    try:

        def up() -> bool:
            assert honcho.poll() is None, log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    pass
            except OSError:
                return False
            return " ready." in log.read_text()

        wait_for(up, timeout=180, what="make run's processes", every=0.5)
        processes = descendants(honcho.pid)
        assert len(processes) >= 8, processes  # 4 honcho children, the pool, gunicorn's

        stopped = time.monotonic()
        os.killpg(honcho.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        wait_for(lambda: not any(alive(p) for p in processes | {honcho.pid}),
                 timeout=STOP_SECONDS, what="every process to exit", every=0.1)  # fmt: skip
        took = time.monotonic() - stopped
        honcho.wait(timeout=5)
    finally:
        for pid in processes | {honcho.pid}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    output = log.read_text()
    assert "Warm shutdown" in output
    # Each stopped by itself: none needed honcho's SIGKILL, no pool process was signalled.
    assert "SIGKILL" not in output, output[-3000:]
    assert "exited with 'signal" not in output, output[-3000:]
    assert took < STOP_SECONDS
