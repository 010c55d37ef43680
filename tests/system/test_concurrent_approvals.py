"""Two approvals committed at the same moment start exactly one provisioning run."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.system.harness import (
    BROKERS,
    PYTHON,
    ROOT,
    Portal,
    broker,
    emulator_process,
    postgres_database,
)

pytestmark = [pytest.mark.slow, pytest.mark.serial]
ROUNDS = 10


def run_race(portal: Portal) -> dict:
    result = subprocess.run(
        [PYTHON, "tests/system/race_approvals.py", str(ROUNDS)],
        cwd=ROOT,
        env=portal.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def check(summary: dict) -> None:
    for result in summary["results"]:
        assert result["status"] == "provisioning", result
        assert result["runs_started"] == 1, result
        outcomes = sorted(result["outcomes"].values())
        if result["required"] == 1:
            # One approval starts it; the other finds it no longer pending.
            assert outcomes[1] == "started", result
            assert outcomes[0].startswith("refused:"), result
            assert result["approvals"] == 1
        else:
            assert outcomes == ["recorded", "started"], result
            assert result["approvals"] == 2
    # One provisioning task per request, never two.
    assert summary["messages_enqueued"] == len(summary["results"])


@pytest.mark.services
@pytest.mark.parametrize("kind", BROKERS)
def test_postgresql(tmp_path, kind):
    with (
        postgres_database(migrated=True) as db,
        broker(kind) as (url, queue),
        emulator_process(tmp_path) as emu,
    ):
        portal = Portal(tmp_path, database_url=db, broker_url=url, aws_url=emu.url, queue=queue)
        portal.manage("portal_init")
        check(run_race(portal))


def test_sqlite_embedded_mode(tmp_path):
    with emulator_process(tmp_path) as emu:
        portal = Portal(
            tmp_path,
            database_url=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            broker_url="filesystem://localhost//",
            aws_url=emu.url,
        )
        portal.manage("portal_init")
        check(run_race(portal))
