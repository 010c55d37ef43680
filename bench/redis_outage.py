"""Recovery from a Redis restart in the middle of vending.

Runs the portal on 127.0.0.1 with its own redis-server (append-only file, as
docker-compose.yml runs it), PostgreSQL, two Celery workers (beat on the first) and the
emulator (creation delay T). Three requests of 4 accounts are submitted; the first is
approved and, once its creations are in flight, Redis is stopped for OUTAGE seconds,
during which the other two are approved. Then Redis starts again. Printed: how long
after Redis returned every account was ready, whether the worker processes are the same
ones, and the Organizations calls made (one CreateAccount per account means no
duplicate). The sweeper's timings are printed too: work whose message was lost in the
outage is found by it.

    .venv/bin/python bench/redis_outage.py --outage 30 --create-delay 10
    .venv/bin/python bench/redis_outage.py --outage 30 --sweep-stale 120 --sweep-interval 60
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.system.harness import (  # noqa: E402
    Portal,
    emulator_process,
    free_port,
    postgres_database,
    wait_for,
)
from tests.system.redis_server import redis_server  # noqa: E402

ENVS = ("dev", "test", "qa", "prod")
REQUESTS = (("checkout", "general"), ("payments", "pci"), ("search", "hipaa"))


def run(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    """Long because the outage is one story told in order: start, stop, approve, start."""
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(tmp / "redis", free_port()))
        database_url = stack.enter_context(postgres_database())
        emulator = stack.enter_context(emulator_process(tmp, create_delay=args.create_delay))
        portal = Portal(tmp, database_url=database_url, broker_url=redis.url, aws_url=emulator.url)
        portal.env["VENDING_SWEEP_STALE_SECONDS"] = str(args.sweep_stale)
        portal.env["VENDING_SWEEP_INTERVAL_SECONDS"] = str(args.sweep_interval)
        stack.callback(portal.stop)
        portal.manage("portal_init")
        for team, _ in REQUESTS[1:]:
            portal.manage("team_create", team, "--name", team.title(), "--lead", "lead")
        workers = [portal.start_worker(concurrency=2), portal.start_worker(beat=False)]
        pids = [w.pid for w in workers]
        ids = [portal.submit(team=team, cls=cls, envs=list(ENVS)) for team, cls in REQUESTS]
        portal.manage("request_approve", str(ids[0]), "--as", "approver1")
        portal.manage("request_approve", str(ids[1]), "--as", "approver1")
        wait_for(
            lambda: emulator.control("/_emulator/stats")["in_progress_creations"] > 0,
            timeout=120, what="creations in flight", every=0.2,
        )  # fmt: skip
        redis.stop()
        down = time.monotonic()
        portal.manage("request_approve", str(ids[1]), "--as", "approver2")
        portal.manage("request_approve", str(ids[2]), "--as", "approver1")
        portal.manage("request_approve", str(ids[2]), "--as", "approver2")
        time.sleep(max(0.0, args.outage - (time.monotonic() - down)))
        redis.start()
        back = time.monotonic()
        statuses = [portal.wait_finished(r, timeout=args.timeout) for r in ids]
        recovered = time.monotonic() - back
        calls = emulator.control("/_emulator/stats")["calls"]
        return {
            "outage_s": round(back - down, 1),
            "recovered_s": round(recovered, 1),
            "requests_completed": sum(s["status"] == "completed" for s in statuses),
            "accounts_ready": sum(a["status"] == "ready" for s in statuses for a in s["accounts"]),
            "create_account_calls": calls.get("CreateAccount", 0),
            "workers_alive_same_pid": all(w.poll() is None for w in workers)
            and [w.pid for w in workers] == pids,
            "unrecoverable_errors": portal.logs().count("Unrecoverable error"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage", type=float, default=30)
    parser.add_argument("--create-delay", type=float, default=10)
    parser.add_argument("--sweep-stale", type=int, default=6)
    parser.add_argument("--sweep-interval", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-redis-outage-") as tmp:
        result = run(args, Path(tmp))
    print(f"outage {args.outage:.0f} s, creation delay {args.create_delay:.0f} s, sweeper: "
          f"stale after {args.sweep_stale} s, every {args.sweep_interval} s")  # fmt: skip
    print("| measure | value |")
    print("| --- | ---: |")
    for key, value in result.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
