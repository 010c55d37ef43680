"""Vending at AWS's limit: approval-to-ready time against ceil(N/5) x T, and calls per account.

AWS lets 5 CreateAccount requests run at once per organization, each taking T, so N
accounts cannot all be ready sooner than ceil(N/5) x T after provisioning starts, and
no vending costs fewer than 3 Organizations calls per account (CreateAccount, one
status read, MoveAccount). This runs the production stack on 127.0.0.1 (PostgreSQL,
Redis, W Celery workers with beat on the first, the emulator with creation delay T,
production timings), submits N accounts as requests of 4 environments each (one team
per request), approves them all through the portal's services in one process, and
reports the time from the last approval to the last account ready, beside the limit,
and the Organizations calls per account by operation (the emulator counts them); then,
once every account's access is assigned, the Identity Center calls per account. It also
prints the CPU time each process spent per account until every account was ready
(workers, PostgreSQL, the emulator, the approving process; bench/cpu.py), and the bare
script's: where the time went on a machine whose cores are the limit.

The clock starts on a stack as it runs in production: the workers idle (the scheduler's
first drift scan and the submissions' e-mails done), DEBUG off, the modules' bytecode
kept between processes, and the approving process warmed as a serving web process is
(its URLs, e-mail templates and broker connection loaded), as the bare script's client
is built before its clock starts.

With ``--create-delay 0`` (Identity Center's assignments instant too) it also runs two
bare sequential boto3 scripts against the same emulator, one account after the other:
the Organizations calls only (CreateAccount, DescribeCreateAccountStatus until done,
MoveAccount), and the same plus the Identity Center calls the portal made for each
account (CreateAccountAssignment per grant, DescribeAccountAssignmentCreationStatus until
done; the grants read from the portal's run). It prints portal / bare for each: until
every account is ready against the first, until every account's access is assigned
against the second. ``--seed-accounts M`` starts the emulator with an organization of M
existing accounts. It stops by itself (``--timeout``).

    .venv/bin/python bench/vend_at_limit.py --accounts 20 --create-delay 10 --workers 2
    .venv/bin/python bench/vend_at_limit.py --accounts 20 --create-delay 0 --seed-accounts 10000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cpu import postmaster_pid, tree_cpu  # noqa: E402
from tests.system.harness import (  # noqa: E402
    PYTHON,
    Emulator,
    Portal,
    emulator_process,
    postgres_database,
    redis_broker,
    wait_for,
)

ENVIRONMENTS = ("dev", "test", "qa", "prod")
# The harness shortens these for tests; the benchmark runs the production defaults.
TEST_TIMINGS = (
    "VENDING_POLL_MAX_COUNTDOWN",
    "VENDING_SWEEP_STALE_SECONDS",
    "VENDING_SWEEP_INTERVAL_SECONDS",
    "VENDING_CREATE_LEASE_SECONDS",
)


@dataclass
class Run:
    seconds_from_last_approval: float
    seconds_from_first_approval: float
    approvals_seconds: float
    calls: dict[str, int]
    max_in_progress: int
    failed: int
    # Identity Center's calls until every account's access was assigned (the access sync
    # each ready account gets), by operation.
    identity_calls: dict[str, int] = field(default_factory=dict)
    # CPU seconds by process, from the first approval (or the bare script's start) until
    # every account was seen ready (bench/cpu.py).
    cpu: dict[str, float] = field(default_factory=dict)
    # From the first approval until the last assignment was recorded done (the portal).
    seconds_to_access: float | None = None
    # Each account's grants, (group id, permission set ARN), in the order of creation.
    grants: list[list[tuple[str, str]]] = field(default_factory=list)
    # The portal's access rows by status once none was left in progress.
    access_rows: dict[str, int] = field(default_factory=dict)


def request_plan(accounts: int) -> list[list[str]]:
    """N accounts as requests of 4 environments (the last one takes the remainder)."""
    full, rest = divmod(accounts, len(ENVIRONMENTS))
    plan = [list(ENVIRONMENTS) for _ in range(full)]
    if rest:
        plan.append(list(ENVIRONMENTS[:rest]))
    return plan


def submit(accounts: int, cls: str) -> None:
    """In a portal process: one team per request, each request submitted by its lead."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from vending.services.requests import account_request_create
    from vending.services.teams import team_create

    lead = get_user_model().objects.get(username="lead")
    for index, envs in enumerate(request_plan(accounts)):
        team = team_create(
            actor=None, slug=f"bench-{index:03d}", name=f"Bench {index}", leads=["lead"]
        )
        account_request_create(
            requester=lead,
            team=team,
            compliance_class=cls,
            environments=envs,
            justification="Benchmark",
        )


def warm_up() -> None:
    """What a serving web process has done long before an approval comes: its URLs
    loaded (e-mails link to pages), its e-mail templates compiled, its broker connection
    open (the message sent, kicking the outbox's sender, finds an empty outbox)."""
    from vending import tasks
    from vending.preload import process_preload

    process_preload()
    tasks.outbox_send.apply_async()


def approve_all() -> None:
    """In a portal process: approve every pending request, as fast as the service allows;
    print when the first approval started and the last one was committed."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from vending.models import AccountRequest
    from vending.services.requests import account_request_approve

    approvers = list(get_user_model().objects.filter(username__in=["approver1", "approver2"]))
    pending = list(AccountRequest.objects.filter(status="pending_approval").order_by("pk"))
    warm_up()
    first, cpu = time.time(), time.process_time()
    for request in pending:
        for approver in approvers:
            if account_request_approve(request=request, approver=approver).provisioning_started:
                break
        else:
            raise SystemExit(f"request #{request.pk} did not start provisioning")
    cpu = time.process_time() - cpu
    print(json.dumps({"first": first, "last": time.time(), "requests": len(pending), "cpu": cpu}))


def in_portal(portal: Portal, function: str, *args: Any) -> str:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from bench.vend_at_limit import {function}; {function}(*{args!r})"
    )
    result = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=portal.env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise SystemExit(f"{function} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextmanager
def redis_database() -> Any:
    # A database of its own on the shared Redis, claimed so no other run touches it.
    with redis_broker() as url:
        yield url


def production_env(portal: Portal, tmp_path: Path) -> None:
    """The portal as deployed: production timings (the harness shortens them for tests),
    and its modules' bytecode compiled once and kept (as an installed
    package's is), where this machine's environment may say not to write it."""
    for name in TEST_TIMINGS:
        portal.env.pop(name, None)
    portal.env.pop("PYTHONDONTWRITEBYTECODE", None)
    portal.env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")


def debug_off(portal: Portal) -> None:
    """Once the demo organization and users exist (`portal_init` makes them only with
    DEBUG on): the workers and the approving process run as deployed."""
    portal.env.update(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=secrets.token_urlsafe(40))


def idle(emulator: Emulator, database_url: str, timeout: float) -> None:
    """Wait until the workers are idle: the scheduler's first drift scan (run when it
    starts) is done, the outbox has sent the submissions' e-mails, and the emulator has
    answered no call for a second."""
    import psycopg

    def settled() -> bool:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM vending_driftscan WHERE finished_at IS NOT NULL),"
                " (SELECT count(*) FROM vending_notification WHERE status = 'pending')"
            ).fetchone()
        return row is not None and row[0] > 0 and row[1] == 0

    wait_for(settled, timeout=timeout, what="the workers' start-up work", every=0.25)

    def calls() -> int:
        return sum(emulator.control("/_emulator/stats")["calls"].values())

    seen, since = calls(), time.monotonic()
    while time.monotonic() - since < 1.0:
        time.sleep(0.25)
        now = calls()
        if now != seen:
            seen, since = now, time.monotonic()


def accounts_progress(database_url: str) -> tuple[int, int, int, float | None]:
    """(accounts, terminal, failed, when the last one completed) from the portal's table."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('ready', 'failed')), "
            "count(*) FILTER (WHERE status = 'failed'), max(completed_at) "
            "FROM vending_vendedaccount WHERE is_active"
        ).fetchone()
    assert row is not None
    total, terminal, failed, last = row
    return total, terminal, failed, last.timestamp() if last else None


def vend_through_portal(
    args: argparse.Namespace, emulator: Emulator, database_url: str, tmp_path: Path
) -> Run:
    with redis_database() as broker_url:
        portal = Portal(
            tmp_path, database_url=database_url, broker_url=broker_url, aws_url=emulator.url
        )
        production_env(portal, tmp_path)
        try:
            portal.manage("portal_init", timeout=args.timeout)
            in_portal(portal, "submit", args.accounts, args.cls)
            debug_off(portal)
            for index in range(args.workers):
                portal.start_worker(concurrency=args.concurrency, beat=index == 0)
            time.sleep(args.settle)  # workers connected before the clock starts...
            idle(emulator, database_url, args.timeout)  # ...and idle
            emulator.control("/_emulator/stats/reset", {})
            cpu_before = cpu_of(portal, emulator)
            approvals = json.loads(in_portal(portal, "approve_all").splitlines()[-1])

            def all_done() -> tuple[int, int, int, float | None] | None:
                progress = accounts_progress(database_url)
                return progress if progress[1] == progress[0] == args.accounts else None

            try:
                _, _, failed, last_ready = wait_for(
                    all_done, timeout=args.timeout, what="every account ready", every=0.25
                )
            except AssertionError as exc:
                raise SystemExit(f"{exc}: {accounts_progress(database_url)}") from None
            cpu = cpu_of(portal, emulator)
            stats = emulator.control("/_emulator/stats")
            ready_at = time.monotonic()
            wait_for(
                lambda: access_settled(database_url, ready_at),
                timeout=args.timeout,
                what="every account's access assigned",
                every=0.25,
            )
            identity_calls = emulator.control("/_emulator/stats")["identity_center_calls"]
            access_done, grants = access_record(database_url)
            access_rows = dict(
                portal.sql("SELECT status, count(*) FROM vending_accessassignment GROUP BY 1")
            )
            if access_rows.get("failed"):
                failures = portal.sql(
                    "SELECT last_error_code, left(last_error, 160), count(*) FROM"
                    " vending_accessassignment WHERE status = 'failed' GROUP BY 1, 2"
                )
                print(f"failed access rows: {failures}", file=sys.stderr)
            if args.timeline:
                timeline(database_url, approvals["first"])
        finally:
            portal.stop()
    assert last_ready is not None
    return Run(
        seconds_from_last_approval=last_ready - approvals["last"],
        seconds_from_first_approval=last_ready - approvals["first"],
        approvals_seconds=approvals["last"] - approvals["first"],
        calls=stats["calls"],
        max_in_progress=stats["max_in_progress_creations"],
        failed=failed,
        identity_calls=identity_calls,
        seconds_to_access=access_done - approvals["first"] if access_done else None,
        grants=grants,
        access_rows=access_rows,
        cpu={
            "approving process (the web's part)": approvals["cpu"],
            **{name: cpu[name] - cpu_before[name] for name in cpu},
        },
    )


def cpu_of(portal: Portal, emulator: Emulator) -> dict[str, float]:
    """CPU seconds so far of the workers (with their pools and beat), the emulator and
    PostgreSQL (every backend, this run's being the only busy ones)."""
    found = {
        "Celery workers": sum(tree_cpu(worker.pid) for worker in portal.workers),
        "emulator": tree_cpu(emulator.process.pid),
    }
    postmaster = postmaster_pid()
    if postmaster is not None:
        found["PostgreSQL"] = tree_cpu(postmaster)
    return found


def access_settled(database_url: str, since: float) -> bool:
    """Every ready account has its access rows and none is left that AWS has yet to
    carry out. An account's rows are written by its first access sync, so until then it
    has none; if no account has any 5 s after all were ready, access is not managed."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM vending_accessassignment"
            "        WHERE status IN ('pending', 'in_progress', 'removing')),"
            " (SELECT count(*) FROM vending_vendedaccount a WHERE a.is_active"
            "  AND a.status = 'ready' AND NOT EXISTS (SELECT 1 FROM vending_accessassignment x"
            "  WHERE x.account_id = a.id)),"
            " (SELECT count(*) FROM vending_accessassignment)"
        ).fetchone()
    assert row is not None
    unfinished, without_rows, rows = row
    if rows == 0:
        return time.monotonic() - since > 5
    return unfinished == 0 and without_rows == 0


def access_record(database_url: str) -> tuple[float | None, list[list[tuple[str, str]]]]:
    """When the last assignment was recorded done, and each account's grants."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM max(updated_at)) FROM vending_accessassignment"
            " WHERE status = 'assigned'"
        ).fetchone()
        rows = conn.execute(
            "SELECT a.id, x.group_id, x.permission_set_arn FROM vending_vendedaccount a"
            " LEFT JOIN vending_accessassignment x ON x.account_id = a.id"
            " AND x.status = 'assigned' WHERE a.is_active ORDER BY a.completed_at, a.id, x.id"
        ).fetchall()
    grants: dict[int, list[tuple[str, str]]] = {}
    for account, group_id, permission_set_arn in rows:
        found = grants.setdefault(account, [])
        if group_id:
            found.append((group_id, permission_set_arn))
    done = row[0] if row else None
    return (float(done) if done is not None else None), list(grants.values())


def timeline(database_url: str, first: float) -> None:
    """`--timeline`: every audit event from the first approval on, to stderr, seconds
    after it (where an account's time goes, step by step)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM created_at), account_id, request_id, action, from_status,"
            " to_status FROM vending_auditevent WHERE created_at >= to_timestamp(%s)"
            " ORDER BY created_at, id",
            (first,),
        ).fetchall()
    for at, account, request, action, before, after in rows:
        change = f" {before} -> {after}" if before or after else ""
        print(
            f"{float(at) - first:8.3f} s  request {request or '-'}  account {account or '-'}  "
            f"{action}{change}",
            file=sys.stderr,
        )


def vend_bare(
    emulator: Emulator, accounts: int, ou_path: str, grants: list[list[tuple[str, str]]] | None
) -> Run:
    """The same calls as the portal's normal path, one account after the other; with
    `grants`, each account's Identity Center assignments too, each awaited."""
    org, sso = emulator.client(), emulator.client("sso-admin")
    instance_arn = sso.list_instances()["Instances"][0]["InstanceArn"] if grants else ""
    prefix = "bare-access" if grants else "bare"
    root_id = org.list_roots()["Roots"][0]["Id"]
    parent_id = root_id
    for name in ou_path.split("/"):
        ous = org.list_organizational_units_for_parent(ParentId=parent_id)
        parent_id = next(ou["Id"] for ou in ous["OrganizationalUnits"] if ou["Name"] == name)
    emulator.control("/_emulator/stats/reset", {})
    emulator_cpu, own_cpu = tree_cpu(emulator.process.pid), time.process_time()
    started = time.monotonic()
    for index in range(accounts):
        status = org.create_account(
            AccountName=f"{prefix}-{index:04d}",
            Email=f"{prefix}-{index:04d}@example.com",
            Tags=[{"Key": "vending:bench", "Value": "bare"}],
        )["CreateAccountStatus"]
        while status["State"] == "IN_PROGRESS":
            status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])[
                "CreateAccountStatus"
            ]
        if status["State"] != "SUCCEEDED":
            raise SystemExit(f"bare creation failed: {status}")
        org.move_account(
            AccountId=status["AccountId"], SourceParentId=root_id, DestinationParentId=parent_id
        )
        for group_id, permission_set_arn in grants[index] if grants else ():
            assign(sso, instance_arn, status["AccountId"], group_id, permission_set_arn)
    elapsed = time.monotonic() - started
    cpu = {
        "bare script": time.process_time() - own_cpu,
        "emulator": tree_cpu(emulator.process.pid) - emulator_cpu,
    }
    stats = emulator.control("/_emulator/stats")
    return Run(
        elapsed,
        elapsed,
        0.0,
        stats["calls"],
        stats["max_in_progress_creations"],
        0,
        identity_calls=stats["identity_center_calls"],
        cpu=cpu,
    )


def assign(sso: Any, instance_arn: str, account_id: str, group_id: str, ps_arn: str) -> None:
    target = {"InstanceArn": instance_arn, "PermissionSetArn": ps_arn}
    status = sso.create_account_assignment(
        **target,
        TargetId=account_id,
        TargetType="AWS_ACCOUNT",
        PrincipalType="GROUP",
        PrincipalId=group_id,
    )["AccountAssignmentCreationStatus"]
    while status["Status"] == "IN_PROGRESS":
        status = sso.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId=status["RequestId"]
        )["AccountAssignmentCreationStatus"]
    if status["Status"] != "SUCCEEDED":
        raise SystemExit(f"bare assignment failed: {status}")


def target_ou_path(database_url: str) -> str:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT target_ou_path FROM vending_vendedaccount LIMIT 1").fetchone()
    assert row is not None
    return str(row[0])


def cpu_table(runs: dict[str, Run], accounts: int) -> list[str]:
    """CPU milliseconds per account by process and run: the portal's until every account
    was seen ready (polled every 0.25 s: the first access syncs are in it too), each bare
    script's until it ended."""
    lines = [
        "CPU per account (the portal's until every account was seen ready):",
        "",
        "| process | " + " | ".join(f"{label} ms" for label in runs) + " |",
        "| --- |" + " ---: |" * len(runs),
    ]
    names = list(dict.fromkeys(name for run in runs.values() for name in run.cpu))
    for name in names:
        cells = (f"{1000 * run.cpu.get(name, 0.0) / accounts:.1f}" for run in runs.values())
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = (f"{1000 * sum(run.cpu.values()) / accounts:.1f}" for run in runs.values())
    lines.append("| **total** | " + " | ".join(totals) + " |")
    return lines


def calls_table(calls: dict[str, int], accounts: int) -> list[str]:
    lines = ["| operation | calls | per account |", "| --- | ---: | ---: |"]
    for op in sorted(calls, key=lambda o: (-calls[o], o)):
        lines.append(f"| {op} | {calls[op]} | {calls[op] / accounts:.2f} |")
    total = sum(calls.values())
    lines.append(f"| **total** | {total} | {total / accounts:.2f} |")
    return lines


def report(args: argparse.Namespace, run: Run, bare: Run | None, bare_access: Run | None) -> None:
    n, delay = args.accounts, args.create_delay
    plan = request_plan(n)
    limit = math.ceil(n / 5) * delay
    print(
        f"{n} accounts ({len(plan)} requests of up to {len(ENVIRONMENTS)} environments, "
        f"class {args.cls}), emulator create delay {delay:g} s, {args.workers} worker(s) x "
        f"concurrency {args.concurrency}, organization seeded with {args.seed_accounts} "
        f"existing accounts; PostgreSQL + Redis"
    )
    print()
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| approving all requests took | {run.approvals_seconds:.1f} s |")
    print(f"| last approval to last account ready | {run.seconds_from_last_approval:.1f} s |")
    print(f"| first approval to last account ready | {run.seconds_from_first_approval:.1f} s |")
    if limit:
        print(f"| limit ceil(N/5) x T | {limit:g} s |")
        print(
            f"| ratio (from last approval) / limit | {run.seconds_from_last_approval / limit:.2f} |"
        )
    to_access = run.seconds_to_access
    if to_access is not None:
        print(f"| first approval to every account's access assigned | {to_access:.1f} s |")
    if bare is not None:
        print(f"| bare sequential boto3 script | {bare.seconds_from_last_approval:.1f} s |")
        ratio = run.seconds_from_first_approval / bare.seconds_from_last_approval
        print(f"| portal (from first approval to ready) / bare | {ratio:.2f} |")
    if bare_access is not None and to_access is not None:
        took = bare_access.seconds_from_last_approval
        print(f"| bare script, with the same Identity Center calls | {took:.1f} s |")
        print(f"| portal (to access assigned) / bare with access | {to_access / took:.2f} |")
    print(f"| most creations in progress at once | {run.max_in_progress} |")
    print(f"| load average (1 min) at the end | {os.getloadavg()[0]:.1f} |")
    print(f"| accounts failed | {run.failed} |")
    if run.access_rows:
        rows = ", ".join(f"{status} {count}" for status, count in sorted(run.access_rows.items()))
        print(f"| the portal's access rows at the end | {rows} |")
    print()
    runs = {"portal": run}
    if bare is not None:
        runs["bare script"] = bare
    if bare_access is not None:
        runs["bare, with access"] = bare_access
    print("\n".join(cpu_table(runs, n)))
    print()
    print("Organizations calls of the portal, from the first approval:")
    print()
    print("\n".join(calls_table(run.calls, n)))
    if bare is not None:
        print()
        print("Organizations calls of the bare script:")
        print()
        print("\n".join(calls_table(bare.calls, n)))
    if run.identity_calls:
        print()
        print("Identity Center calls of the portal, until every account's access was assigned:")
        print()
        print("\n".join(calls_table(run.identity_calls, n)))
    if bare_access is not None:
        print()
        print("Identity Center calls of the bare script with access:")
        print()
        print("\n".join(calls_table(bare_access.identity_calls, n)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20, help="N (default 20)")
    parser.add_argument("--create-delay", type=float, default=10.0, help="T in seconds")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="per worker process")
    parser.add_argument("--seed-accounts", type=int, default=0, help="existing accounts")
    parser.add_argument("--class", dest="cls", default="general")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before approving")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after (s)")
    parser.add_argument(
        "--timeline", action="store_true", help="print the audit trail's timeline to stderr"
    )
    args = parser.parse_args()
    if args.accounts < 1 or args.workers < 1 or args.concurrency < 1:
        parser.error("--accounts, --workers and --concurrency must be at least 1")

    with tempfile.TemporaryDirectory(prefix="vend-at-limit-") as tmp:
        tmp_path = Path(tmp)
        options: dict[str, Any] = {"create_delay": args.create_delay}
        if args.seed_accounts:
            options["seed_accounts"] = args.seed_accounts
        with postgres_database() as database_url, emulator_process(tmp_path, **options) as emu:
            if args.create_delay == 0:
                # Where creation is instant, so is an assignment (the emulator's default: 1 s).
                emu.control("/_emulator/config", {"assignment_delay_seconds": 0})
            run = vend_through_portal(args, emu, database_url, tmp_path)
            bare = bare_access = None
            if args.create_delay == 0:
                ou_path = target_ou_path(database_url)
                bare = vend_bare(emu, args.accounts, ou_path, None)
                bare_access = vend_bare(emu, args.accounts, ou_path, run.grants)
    report(args, run, bare, bare_access)
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
