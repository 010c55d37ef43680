"""A broker outage in the middle of vending: the same workers carry on, nothing is lost
or made twice.

Redis: the test runs its own redis-server (the shared one must never be stopped) and stops
it for 30 s while accounts are being created and while approvals are given. RabbitMQ: the
shared server is cut off from the portal for as long by a TCP proxy in front of it
(tests/system/tcp_proxy.py), its connections reset, on the server's default vhost with a
queue of the test's own.
"""

from __future__ import annotations

import time

import pytest

from tests.system.harness import free_port, rabbitmq_broker, wait_for
from tests.system.redis_server import redis_server
from tests.system.tcp_proxy import TcpProxy
from tests.system.test_provisioning_e2e import ENVS, assert_vended_once

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

OUTAGE_SECONDS = 30
RECOVERY_SECONDS = 60


def test_workers_survive_a_redis_restart_mid_vending(make_portal, tmp_path):
    with redis_server(tmp_path / "redis", free_port()) as redis:
        # Creations outlast the start of the outage: their polls are held by the workers
        # (countdowns) when Redis goes away.
        portal, emulator = make_portal(create_delay=10, broker_url=redis.url)
        vend_through_an_outage(portal, emulator, redis.stop, redis.start)


def test_workers_survive_a_rabbitmq_outage_mid_vending(make_portal):
    with rabbitmq_broker() as (url, queue):
        proxy = TcpProxy(free_port(), ("127.0.0.1", 5672))
        proxy.start()
        try:
            proxied = url.replace("127.0.0.1:5672", f"127.0.0.1:{proxy.port}")
            portal, emulator = make_portal(create_delay=10, broker_url=proxied, queue=queue)
            try:
                vend_through_an_outage(portal, emulator, proxy.stop, proxy.start)
            finally:
                portal.stop()  # before its queue is deleted
        finally:
            proxy.stop()


def vend_through_an_outage(portal, emulator, stop, start) -> None:  # type: ignore[no-untyped-def]
    """Long because it tells one story: vending, the outage, approvals during it, the
    recovery, and what must hold afterwards."""
    workers = [portal.start_worker(concurrency=2), portal.start_worker(beat=False)]
    pids = [w.pid for w in workers]
    for team in ("payments", "search"):
        portal.manage("team_create", team, "--name", team.title(), "--lead", "lead")
    first = portal.submit(team="checkout", cls="general", envs=ENVS)
    second = portal.submit(team="payments", cls="pci", envs=ENVS)
    third = portal.submit(team="search", cls="hipaa", envs=ENVS)
    portal.manage("request_approve", str(first), "--as", "approver1")
    portal.manage("request_approve", str(second), "--as", "approver1")

    def creating() -> bool:
        return emulator.control("/_emulator/stats")["in_progress_creations"] > 0

    wait_for(creating, timeout=60, what="accounts being created", every=0.2)
    stop()
    # Approvals while the broker is away: committed, their work enqueued later.
    portal.manage("request_approve", str(second), "--as", "approver2")
    portal.manage("request_approve", str(third), "--as", "approver1")
    portal.manage("request_approve", str(third), "--as", "approver2")
    time.sleep(OUTAGE_SECONDS)
    assert [w.poll() for w in workers] == [None, None], portal.logs()
    start()
    back = time.monotonic()

    requests = (first, second, third)
    statuses = [portal.wait_finished(r, timeout=RECOVERY_SECONDS) for r in requests]
    recovered_in = time.monotonic() - back

    assert recovered_in <= RECOVERY_SECONDS
    assert [w.poll() for w in workers] == [None, None], portal.logs()
    assert [w.pid for w in workers] == pids
    assert "Unrecoverable error" not in portal.logs()
    client = emulator.client()
    assert_vended_once(client, statuses[0], ou_path="GeneralOU", cls="general")
    assert_vended_once(client, statuses[1], ou_path="PciOU", cls="pci", team="payments")
    assert_vended_once(client, statuses[2], ou_path="HipaaOU", cls="hipaa", team="search")
    assert emulator.control("/_emulator/stats")["calls"]["CreateAccount"] == 3 * len(ENVS)
