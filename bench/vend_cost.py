"""What vending costs: Organizations API calls per account, by operation, and time.

Runs the real thing on the embedded stack: the emulator, a Celery worker on the
filesystem broker, SQLite, and the operator commands. Everything on 127.0.0.1; it
stops by itself.

    .venv/bin/python bench/vend_cost.py [--envs dev,test,qa,prod] [--create-delay 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.system.harness import Portal, emulator_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="dev,test,qa,prod")
    parser.add_argument("--create-delay", type=float, default=2.0)
    parser.add_argument("--class", dest="cls", default="hipaa_pci")
    args = parser.parse_args()
    envs = args.envs.split(",")

    with tempfile.TemporaryDirectory(prefix="vend-cost-") as tmp:
        tmp_path = Path(tmp)
        with emulator_process(tmp_path, create_delay=args.create_delay) as emulator:
            portal = Portal(
                tmp_path,
                database_url=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
                broker_url="filesystem://localhost//",
                aws_url=emulator.url,
            )
            portal.env["VENDING_POLL_MAX_COUNTDOWN"] = "30"  # production default
            try:
                portal.manage("portal_init")
                portal.start_worker(beat=False)
                request_id = portal.submit(team="checkout", cls=args.cls, envs=envs)
                emulator.control("/_emulator/stats/reset", {})
                started = time.monotonic()
                for approver in ("approver1", "approver2"):
                    out = portal.manage(
                        "request_approve", str(request_id), "--as", approver, check=False
                    )
                    if "provisioning started" in out:
                        break
                status = portal.wait_finished(request_id, timeout=600)
                elapsed = time.monotonic() - started
                stats = emulator.control("/_emulator/stats")
            finally:
                portal.stop()

    n = len(envs)
    print(
        f"request #{request_id}: {status['status']}, {n} account(s), class {args.cls}, "
        f"emulator create delay {args.create_delay:g}s, approval to done {elapsed:.1f}s"
    )
    print()
    print("| operation | calls | per account |")
    print("| --- | ---: | ---: |")
    calls = stats["calls"]
    for op in sorted(calls, key=lambda o: (-calls[o], o)):
        print(f"| {op} | {calls[op]} | {calls[op] / n:.1f} |")
    total = sum(calls.values())
    print(f"| **total** | {total} | {total / n:.1f} |")
    return 0 if status["status"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
