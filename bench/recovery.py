"""Recovery after a broker outage and after a killed worker, on Redis and RabbitMQ.

Runs the portal on 127.0.0.1 (PostgreSQL, the emulator with creation delay T, Celery
workers with beat) with the portal's default recovery timings (sweep every 5 s, stale
after 45 s, lease 45 s; override with the flags), for each broker and scenario:

- outage: a request of 4 accounts is approved; once its creations are in flight the
  broker goes away for OUTAGE seconds (Redis: its own redis-server is stopped; RabbitMQ:
  the shared server is cut off by a TCP proxy), during which a second request is
  approved. Measured: from the broker's return to every account ready.
- killed: a request of 4 accounts is approved; once creations are in flight every worker
  is SIGKILLed and a new one started at once. Measured: from the new worker's start to
  every account ready.

Printed as a table, with the CreateAccount calls (one per account: nothing made twice).

    .venv/bin/python bench/recovery.py
    .venv/bin/python bench/recovery.py --brokers redis --scenarios killed --lease 120
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.system.harness import (  # noqa: E402
    Portal,
    emulator_process,
    free_port,
    postgres_database,
    rabbitmq_broker,
    wait_for,
)
from tests.system.redis_server import redis_server  # noqa: E402
from tests.system.tcp_proxy import TcpProxy  # noqa: E402

ENVS = ["dev", "test", "qa", "prod"]


@contextmanager
def cuttable_broker(
    kind: str, tmp: Path
) -> Iterator[tuple[str, str, Callable[[], None], Callable[[], None]]]:
    """(URL, queue, stop, start) of a broker the bench may take away from the portal."""
    if kind == "redis":
        with redis_server(tmp / "redis", free_port()) as redis:
            yield redis.url, "celery", redis.stop, redis.start
        return
    with rabbitmq_broker() as (url, queue):
        proxy = TcpProxy(free_port(), ("127.0.0.1", 5672))
        proxy.start()
        try:
            proxied = url.replace("127.0.0.1:5672", f"127.0.0.1:{proxy.port}")
            yield proxied, queue, proxy.stop, proxy.start
        finally:
            proxy.stop()


def creating(emulator: object) -> Callable[[], bool]:
    return lambda: emulator.control("/_emulator/stats")["in_progress_creations"] > 0  # type: ignore[attr-defined]


def run(kind: str, scenario: str, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    """Long because each scenario is one story told in order: start, break, mend, wait."""
    with ExitStack() as stack:
        url, queue, stop, start = stack.enter_context(cuttable_broker(kind, tmp))
        database_url = stack.enter_context(postgres_database())
        emulator = stack.enter_context(emulator_process(tmp, create_delay=args.create_delay))
        portal = Portal(
            tmp, database_url=database_url, broker_url=url, aws_url=emulator.url, queue=queue
        )
        portal.env["VENDING_SWEEP_STALE_SECONDS"] = str(args.sweep_stale)
        portal.env["VENDING_SWEEP_INTERVAL_SECONDS"] = str(args.sweep_interval)
        portal.env["VENDING_CREATE_LEASE_SECONDS"] = str(args.lease)
        stack.callback(portal.stop)
        portal.manage("portal_init")
        portal.manage("team_create", "payments", "--name", "Payments", "--lead", "lead")
        portal.start_worker(concurrency=2)
        ids = [portal.submit(team="checkout", cls="general", envs=ENVS)]
        approve = ("request_approve", "--as")
        portal.manage(approve[0], str(ids[0]), approve[1], "approver1")
        wait_for(creating(emulator), timeout=120, what="creations in flight", every=0.2)
        time.sleep(0.5)
        if scenario == "outage":
            ids.append(portal.submit(team="payments", cls="pci", envs=ENVS))
            portal.manage(approve[0], str(ids[1]), approve[1], "approver1")
            stop()
            down = time.monotonic()
            portal.manage(approve[0], str(ids[1]), approve[1], "approver2")
            time.sleep(max(0.0, args.outage - (time.monotonic() - down)))
            start()
        else:
            portal.kill_workers()
            portal.start_worker(concurrency=2)
        back = time.monotonic()
        statuses = [portal.wait_finished(r, timeout=args.timeout) for r in ids]
        recovered = time.monotonic() - back
        calls = emulator.control("/_emulator/stats")["calls"]
        return {
            "broker": kind,
            "scenario": scenario,
            "recovered_s": round(recovered, 1),
            "accounts_ready": sum(a["status"] == "ready" for s in statuses for a in s["accounts"]),
            "accounts": len(ENVS) * len(ids),
            "create_account_calls": calls.get("CreateAccount", 0),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brokers", nargs="+", default=["redis", "rabbitmq"])
    parser.add_argument("--scenarios", nargs="+", default=["outage", "killed"])
    parser.add_argument("--outage", type=float, default=15)
    parser.add_argument("--create-delay", type=float, default=8)
    parser.add_argument("--sweep-stale", type=int, default=45)
    parser.add_argument("--sweep-interval", type=int, default=5)
    parser.add_argument("--lease", type=int, default=45)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    print(
        f"outage {args.outage:.0f} s, creation delay {args.create_delay:.0f} s, sweep every "
        f"{args.sweep_interval} s, stale after {args.sweep_stale} s, lease {args.lease} s"
    )
    print("| broker | scenario | recovered (s) | accounts ready | CreateAccount calls |")
    print("| --- | --- | ---: | ---: | ---: |")
    for kind in args.brokers:
        for scenario in args.scenarios:
            with tempfile.TemporaryDirectory(prefix="bench-recovery-") as tmp:
                r = run(kind, scenario, args, Path(tmp))
            print(f"| {r['broker']} | {r['scenario']} | {r['recovered_s']} | "
                  f"{r['accounts_ready']}/{r['accounts']} | {r['create_account_calls']} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
