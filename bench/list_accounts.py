"""The accounts list at 10,000 accounts: queries per page and median time per page,
beside a raw SQL query plus ``json.dumps`` of the same rows, measured in one run.

Creates a throwaway PostgreSQL database (``vending_bench_list``, dropped at the end),
fills it with 10,000 vended accounts of 40 teams (every class, environment and status;
each ready account with two Identity Center assignments), serves it with gunicorn on
127.0.0.1 as the Procfile does (DEBUG off, 2 workers x 4 threads), and times, one
request after the other on a kept-alive connection:

* ``GET /api/v1/accounts/?page_size=500`` as an admin (token), pages 1, 10 and 20;
* the web list ``/accounts/`` as an admin (session), unfiltered and with its filters;
* ``/healthz``, which makes no query: what any response costs before a page's own work.

Against each, the raw baseline runs the same WHERE, ORDER BY and LIMIT/OFFSET by hand
on one open psycopg connection, reading every stored value the page shows (for the API,
the 38 columns of its rows and its access rows, not its computed fields), and
``json.dumps`` the rows as dicts. Queries per page
are counted with Django's test client in this process against the same database and
settings (a server process cannot report its queries without code added for it).

    .venv/bin/python bench/list_accounts.py [--accounts 10000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.system.harness import (  # noqa: E402
    PG_ADMIN_URL,
    PYTHON,
    Portal,
    free_port,
    require_service,
)

DATABASE = "vending_bench_list"
TEAMS = 40
CLASSES = ("general", "hipaa", "pci", "hipaa_pci")
ENVIRONMENTS = ("dev", "test", "qa", "prod")
OU_PATHS = {
    "general": "GeneralOU",
    "hipaa": "HipaaOU",
    "pci": "PciOU",
    "hipaa_pci": "HipaaOU/HipaaPciOU",
}
API_PAGE_SIZE = 500
WEB_PAGE_SIZE = 50

# The API's rows, by hand: the selector's joins, visibility for an admin (everything),
# its order, one page; then the page's access rows (after the LIMIT, so that OFFSET does
# not read the access of the rows it skips).
API_SQL = """
SELECT p.*,
       (SELECT json_agg(json_build_object('group', x."group", 'permission_set',
                        x.permission_set, 'status', x.status, 'last_error', x.last_error)
                        ORDER BY x."group", x.permission_set)
        FROM vending_accessassignment x WHERE x.account_id = p.pk AND x.status <> 'removed')
FROM (
SELECT a.account_id, a.name, a.email, a.environment, a.status, a.failure_reason,
       a.target_ou_path, COALESCE(t.slug, at.slug),
       COALESCE(NULLIF(a.compliance_class, ''), r.compliance_class), a.origin, a.request_id,
       a.created_at, a.completed_at, a.aws_created_at, a.live_ou_path, a.live_seen_at,
       a.missing_in_aws_since, a.handshake_id, a.handshake_state, a.handshake_expires_at,
       a.invite_expected_at, a.close_expected_on, a.expires_on, u.username, a.cost_centre,
       a.tags, a.contacts, a.contacts_status, a.contacts_error, a.budget_amount,
       a.budget_status, a.budget_error, a.attempts, a.last_error_code, a.last_error_message,
       a.last_error_transient, a.last_error_at, a.last_progress_at, a.id AS pk
FROM vending_vendedaccount a
LEFT JOIN vending_accountrequest r ON r.id = a.request_id
LEFT JOIN vending_team t ON t.id = r.team_id
LEFT JOIN vending_team at ON at.id = a.team_id
LEFT JOIN auth_user u ON u.id = a.owner_id
WHERE a.is_active
ORDER BY a.id
LIMIT %(limit)s OFFSET %(offset)s
) p
ORDER BY p.pk
"""
# Every stored value the API's rows show (`vending/api/account_rows.py`), by its name there.
API_KEYS = (
    "account_id",
    "name",
    "email",
    "environment",
    "status",
    "failure_reason",
    "ou_path",
    "team",
    "compliance_class",
    "origin",
    "request",
    "created_at",
    "completed_at",
    "aws_created_at",
    "live_ou_path",
    "live_seen_at",
    "missing_in_aws_since",
    "handshake_id",
    "handshake_state",
    "handshake_expires_at",
    "invite_expected_at",
    "close_expected_on",
    "expires_on",
    "owner",
    "cost_centre",
    "tags",
    "contacts",
    "contacts_status",
    "contacts_error",
    "budget",
    "budget_status",
    "budget_error",
    "attempts",
    "last_error_code",
    "last_error_message",
    "last_error_transient",
    "last_error_at",
    "last_progress_at",
    "pk",  # the page's own key, which its access rows are read by
    "access",
)
# The web list's rows: what its table shows, with the filters applied, by name.
WEB_SQL = """
SELECT a.account_id, a.name, a.email, t.slug, r.compliance_class, a.environment,
       a.target_ou_path, a.status, a.failure_reason, a.request_id
FROM vending_vendedaccount a
JOIN vending_accountrequest r ON r.id = a.request_id
JOIN vending_team t ON t.id = r.team_id
WHERE a.is_active {where}
ORDER BY a.name, a.id
LIMIT %(limit)s OFFSET %(offset)s
"""
WEB_KEYS = (
    "account_id",
    "name",
    "email",
    "team",
    "compliance_class",
    "environment",
    "ou_path",
    "status",
    "failure_reason",
    "request",
)
# The search's conditions as the portal writes them (vending/selectors/accounts.py), each
# one its trigram index answers (migration 0031); the owner's through the users' ids.
SEARCH_WHERE = (
    "AND (UPPER(a.name::text) LIKE UPPER('%%{q}%%') OR UPPER(a.email::text) LIKE UPPER('%%{q}%%')"
    " OR a.account_id::text LIKE '%%{q}%%' OR UPPER(a.cost_centre::text) LIKE UPPER('%%{q}%%')"
    " OR UPPER(a.tags::text) LIKE UPPER('%%{q}%%') OR a.owner_id = ANY(ARRAY("
    "SELECT id FROM auth_user WHERE UPPER(username::text) LIKE UPPER('%%{q}%%'))))"
)
WEB_CASES: tuple[tuple[str, dict[str, str], str], ...] = (
    ("no filter", {}, ""),
    (
        "class + status",
        {"compliance_class": "hipaa", "status": "ready"},
        "AND r.compliance_class = 'hipaa' AND a.status = 'ready'",
    ),
    (
        "team + environment",
        {"team": "team-07", "environment": "prod"},
        "AND t.slug = 'team-07' AND a.environment = 'prod'",
    ),
    ("search, a quarter of the accounts", {"q": "team-1"}, SEARCH_WHERE.format(q="team-1")),
    ("search, one account", {"q": "01234"}, SEARCH_WHERE.format(q="01234")),
)


@dataclass
class Row:
    what: str
    queries: int
    median_ms: float
    raw_ms: float

    @property
    def ratio(self) -> float:
        return self.median_ms / self.raw_ms


@contextmanager
def throwaway_database() -> Iterator[str]:
    import psycopg

    require_service("PostgreSQL", "127.0.0.1", 5432)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def production_env(portal: Portal) -> dict[str, str]:
    """The portal as deployed: DEBUG off, a key of this run, plain HTTP on loopback."""
    portal.env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # The benchmark makes more requests per minute than the default quota allows.
        VENDING_API_THROTTLE_USER="1000000/min",
        VENDING_EMULATOR="false",
    )
    return portal.env


def fill(accounts: int) -> tuple[str, str]:
    """10,000 accounts (each of its own request), an admin; their API token and session."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from vending.access_models import AccessAssignment
    from vending.models import AccountRequest, Team, VendedAccount
    from vending.roles import ADMINS_GROUP
    from vending.services.api_tokens import api_token_create

    users = get_user_model()
    admin = users.objects.create_user("bench-admin", "bench-admin@example.com")
    admin.groups.add(Group.objects.get_or_create(name=ADMINS_GROUP)[0])
    lead = users.objects.create_user("bench-lead", "bench-lead@example.com")
    teams = Team.objects.bulk_create(
        Team(slug=f"team-{i:02d}", name=f"Team {i:02d}") for i in range(TEAMS)
    )
    for team in teams:
        team.leads.add(lead)
    plan = [
        (teams[i % TEAMS], CLASSES[(i // TEAMS) % 4], ENVIRONMENTS[(i // (TEAMS * 4)) % 4])
        for i in range(accounts)
    ]
    requests = AccountRequest.objects.bulk_create(
        AccountRequest(
            team=team,
            requester=lead,
            compliance_class=cls,
            environments=[env],
            justification="bench",
            status="completed",
        )
        for team, cls, env in plan
    )
    accounts_made = VendedAccount.objects.bulk_create(
        VendedAccount(
            request=request,
            environment=env,
            name=f"{team.slug}-{cls}-{env}-{i:05d}"[:50],
            email=f"aws+{team.slug}-{i:05d}@example.com",
            target_ou_path=OU_PATHS[cls],
            status="failed" if i % 50 == 0 else "ready",
            failure_reason="The e-mail address is already in use." if i % 50 == 0 else "",
            account_id=None if i % 50 == 0 else f"{100000000000 + i:012d}",
            completed_at=None if i % 50 == 0 else datetime.now().astimezone(),
        )
        for i, ((team, cls, env), request) in enumerate(zip(plan, requests, strict=True))
    )
    # Identity Center: each ready account's team group holds two permission sets.
    AccessAssignment.objects.bulk_create(
        AccessAssignment(
            account=account,
            group=f"{team.slug}-developers",
            permission_set=permission_set,
            status="assigned",
        )
        for account, (team, _, _) in zip(accounts_made, plan, strict=True)
        if account.status == "ready"
        for permission_set in ("PowerUserAccess", "ReadOnlyAccess")
    )
    with connection.cursor() as cursor:
        # Planner statistics, and the indexes' new entries merged (the trigram index's
        # pending list) with the visibility map set: what autovacuum keeps in a live
        # database, which PostgreSQL vacuums after inserts too.
        cursor.execute("VACUUM ANALYZE")
    client = Client()
    client.force_login(admin)
    token = api_token_create(user=admin, name="list benchmark", expires_in_days=1)
    return token.secret, client.cookies["sessionid"].value


def count_queries(path: str, params: dict[str, str], *, token: str = "", session: str = "") -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Authorization": f"Token {token}"} if token else {})
    if session:
        client.cookies["sessionid"] = session
    client.get(path, params)  # warm: first-request work (sessions, caches) is not per page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    if response.status_code != 200:
        raise SystemExit(f"{path} {params}: HTTP {response.status_code}")
    return len(queries)


def medians_ms(
    page: Callable[[], object], raw: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median ms of each, timed in turns (page, raw, page, raw...) so that whatever else
    runs on the machine weighs on both alike."""
    page(), raw()  # warm
    page_ms, raw_ms = [], []
    for _ in range(repeat):
        for call, times in ((page, page_ms), (raw, raw_ms)):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(page_ms), statistics.median(raw_ms)


def http_get(conn: http.client.HTTPConnection, url: str, headers: dict[str, str]) -> bytes:
    try:
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError):
        # gunicorn closed the kept-alive connection while it sat idle: open a new one.
        conn.close()
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET {url}: HTTP {response.status}: {body[:300]!r}")
    return body


def raw_rows(conn: Any, sql: str, keys: tuple[str, ...], limit: int, offset: int) -> bytes:
    rows = conn.execute(sql, {"limit": limit, "offset": offset}).fetchall()
    return json.dumps([dict(zip(keys, map(_plain, row), strict=True)) for row in rows]).encode()


def _plain(value: object) -> object:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def measure(
    args: argparse.Namespace, database_url: str, base: str, auth: tuple[str, str]
) -> list[Row]:
    from urllib.parse import urlencode

    import psycopg

    token, session = auth
    api_headers = {"Authorization": f"Token {token}"}
    web_headers = {"Cookie": f"sessionid={session}"}
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    raw = psycopg.connect(database_url, autocommit=True)
    rows: list[Row] = []
    pages = args.accounts // API_PAGE_SIZE
    for page in sorted({1, max(1, pages // 2), max(1, pages)}):
        params = {"page": str(page), "page_size": str(API_PAGE_SIZE)}
        url = "/api/v1/accounts/?" + urlencode(params)
        rows.append(
            Row(
                f"API `GET /api/v1/accounts/?page={page}&page_size=500`",
                count_queries("/api/v1/accounts/", params, token=token),
                *medians_ms(
                    lambda url=url: http_get(conn, url, api_headers),
                    lambda page=page: raw_rows(
                        raw, API_SQL, API_KEYS, API_PAGE_SIZE, (page - 1) * API_PAGE_SIZE
                    ),
                    args.repeat,
                ),
            )
        )
    for label, params, where in WEB_CASES:
        url = "/accounts/?" + urlencode(params) if params else "/accounts/"
        sql = WEB_SQL.format(where=where)
        rows.append(
            Row(
                f"web `/accounts/` {label}",
                count_queries("/accounts/", params, session=session),
                *medians_ms(
                    lambda url=url: http_get(conn, url, web_headers),
                    lambda sql=sql: raw_rows(raw, sql, WEB_KEYS, WEB_PAGE_SIZE, 0),
                    args.repeat,
                ),
            )
        )
    # What any response costs here before a page's own work: gunicorn, the middleware,
    # no database (a signed-in page adds its session, user and template to this).
    floor = medians_ms(lambda: http_get(conn, "/healthz", web_headers), lambda: None, args.repeat)
    rows.append(Row("floor: `GET /healthz` (no query, same middleware)", 0, floor[0], 0.0))
    raw.close()
    conn.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per row")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="list-accounts-") as tmp, throwaway_database() as db:
        portal = Portal(
            Path(tmp), database_url=db, broker_url="memory://", aws_url="http://127.0.0.1:9"
        )
        os.environ.update(production_env(portal))
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=portal.env,
            check=True,
        )
        import django

        django.setup()
        auth = fill(args.accounts)
        try:
            base = portal.start_web(free_port())
            load_before = os.getloadavg()[0]
            rows = measure(args, db, base, auth)
            load_after = os.getloadavg()[0]
        finally:
            portal.stop()
            from django.db import connections

            connections.close_all()  # before the database is dropped

    print(
        f"{args.accounts} accounts on PostgreSQL, gunicorn (2 workers x 4 threads, DEBUG off), "
        f"admin; median of {args.repeat} sequential requests on one kept-alive connection, "
        "timed in turns with raw = the same page by hand on one psycopg connection + "
        "json.dumps"
    )
    print(f"Load average (1 min) before and after measuring: {load_before:.1f}, {load_after:.1f}")
    print()
    print("| page | queries | median ms | raw SQL + json.dumps ms | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        raw, ratio = (f"{row.raw_ms:.1f}", f"{row.ratio:.1f}x") if row.raw_ms else ("", "")
        print(f"| {row.what} | {row.queries} | {row.median_ms:.1f} | {raw} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
