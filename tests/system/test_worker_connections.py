"""A worker keeps its PostgreSQL connection from one task to the next (Celery's Django
fixup would open one per task), and a database restart under it costs a reconnection,
not a failed task. The worker reaches PostgreSQL through a proxy that counts its
connections and can cut them; the test's own commands connect directly."""

from __future__ import annotations

import pytest

from tests.system.harness import free_port
from tests.system.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

ENVS = ["dev", "test", "qa"]


def vend(portal, team: str) -> dict:
    request_id = portal.submit(team=team, cls="general", envs=ENVS)
    assert "provisioning started" in portal.manage(
        "request_approve", str(request_id), "--as", "approver1"
    )
    return portal.wait_finished(request_id)


def test_a_worker_keeps_its_connection_and_survives_a_database_restart(make_portal):
    portal, _ = make_portal()
    direct = portal.env["DATABASE_URL"]
    proxy = TcpProxy(free_port(), ("127.0.0.1", 5432))
    proxy.start()
    try:
        portal.env["DATABASE_URL"] = direct.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        portal.start_worker(concurrency=1, beat=False)
        portal.env["DATABASE_URL"] = direct

        first = vend(portal, "checkout")
        assert first["status"] == "completed", first
        tasks = portal.sql(
            "SELECT count(*) FROM vending_auditevent WHERE action = 'account.status_changed'"
        )[0][0]
        # Three accounts, each through pending, creating, placing and ready in its tasks,
        # and the request's own task: a connection per task would be more than a dozen.
        assert tasks >= 9
        assert proxy.accepted <= 2, f"{proxy.accepted} connections for {tasks} steps"

        proxy.stop()  # the database restarts: the worker's kept connection is reset
        proxy.start()

        portal.manage("team_create", "payments", "--name", "Payments", "--lead", "lead")
        second = vend(portal, "payments")
        assert second["status"] == "completed", second
        assert all(a["status"] == "ready" for a in second["accounts"]), second
        assert proxy.accepted <= 4
        log = portal.logs()
        assert "OperationalError" not in log and "InterfaceError" not in log, log
    finally:
        proxy.stop()
