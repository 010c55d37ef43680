"""The list filters' PostgreSQL forms (vending/sql_lists.py), on PostgreSQL itself: the
unit tests run on SQLite, which gets the plain `IN` forms, so these run the same checks
through `manage.py shell` on a migrated PostgreSQL database.

- the team filter (`owner_team_is`, `pk = ANY(ARRAY(union))` there) selects exactly the
  accounts whose computed team column matches, requested or imported;
- a lead sees (`visible_to`, the same form) exactly their teams' accounts;
- the access rows of a page (`access_for`, its ids as one array) are each account's own,
  for many accounts at once, and none for an account without an AWS id.
"""

from __future__ import annotations

import json

import pytest

from tests.system.harness import Portal, postgres_database

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]


def on_postgresql(tmp_path, script: str) -> dict:  # type: ignore[no-untyped-def]
    """Run `script` with `manage.py shell` on a migrated PostgreSQL database of its own;
    the JSON its last line prints."""
    with postgres_database() as url:
        portal = Portal(
            tmp_path, database_url=url, broker_url="memory://", aws_url="http://127.0.0.1:9"
        )
        portal.manage("migrate", "--verbosity", "0")
        return json.loads(portal.manage("shell", "-c", script).strip().splitlines()[-1])


CHECK = """
import json
from django.contrib.auth import get_user_model
from django.db import connection
from vending.access_models import AccessAssignment, AccountAccess
from vending.account_ownership import accounts_with_owner, owner_team_is
from vending.models import AccountRequest, Team, VendedAccount
from vending.selectors.access import access_for

assert connection.vendor == "postgresql", connection.vendor
lead = get_user_model().objects.create_user("lead", "lead@example.com")
teams = {s: Team.objects.create(slug=s, name=s) for s in ("checkout", "payments", "idle")}
made = []
for i in range(30):
    team = teams["checkout" if i % 3 else "payments"]
    request = AccountRequest.objects.create(
        team=team, requester=lead, compliance_class="general", environments=["dev"],
        justification="test", status="completed")
    made.append(VendedAccount.objects.create(
        request=request, environment="dev", name=f"acct-{i:02d}", email=f"a{i}@example.com",
        target_ou_path="GeneralOU", status="ready", account_id=f"{100000000000 + i:012d}",
        # Every fifth has its own team column saying otherwise: the request's team wins.
        team=teams["payments"] if i % 5 == 0 else None))
for i, assigned in enumerate((teams["checkout"], teams["payments"], None)):
    made.append(VendedAccount.objects.create(
        environment="prod", name=f"imported-{i}", email=f"imp{i}@example.com",
        target_ou_path="GeneralOU", status="ready", origin="imported",
        account_id=f"{200000000000 + i:012d}", team=assigned))
rows = accounts_with_owner(VendedAccount.objects.all())
teams_checked = {}
for slug in ("checkout", "payments", "idle", "nobody"):
    expected = sorted(a.pk for a in rows if a.team_slug == slug)
    got = sorted(rows.filter(owner_team_is(slug)).values_list("pk", flat=True))
    teams_checked[slug] = [len(expected), got == expected]

# What a lead of checkout sees: its requests' accounts and those assigned to it.
teams["checkout"].leads.add(lead)
seen = sorted(VendedAccount.objects.visible_to(lead).values_list("pk", flat=True))
mine = sorted(
    a.pk for a in VendedAccount.objects.select_related("request")
    if (a.request is not None and a.request.team_id == teams["checkout"].pk)
    or a.team_id == teams["checkout"].pk
)
visible = [len(mine), seen == mine]

for n, account in enumerate(made[:20]):
    for p in ("PowerUserAccess", "ReadOnlyAccess")[: 1 + n % 2]:
        AccessAssignment.objects.create(
            account=account, group=f"g-{account.pk}", permission_set=p, status="assigned")
AccountAccess.objects.create(account=made[3], notice="Managed elsewhere.")
ids = [a.account_id for a in made] + [""]
access = access_for(ids)
rows_ok = all(
    [(r.group, r.permission_set) for r in access[a.account_id].rows]
    == [(f"g-{a.pk}", p) for p in ("PowerUserAccess", "ReadOnlyAccess")[: 1 + n % 2]]
    if n < 20 else access[a.account_id].rows == []
    for n, a in enumerate(made)
)
print(json.dumps({
    "teams": teams_checked,
    "visible": visible,
    "access_rows_ok": rows_ok,
    "notice": access[made[3].account_id].notice,
    "no_id": [access[""].notice, access[""].rows],
}))
"""


def test_the_list_filters_select_the_same_rows_on_postgresql(tmp_path):
    answer = on_postgresql(tmp_path, CHECK)
    # checkout: 20 by request + 1 imported; payments: 10 by request + 1 imported.
    assert answer["teams"] == {
        "checkout": [21, True],
        "payments": [11, True],
        "idle": [0, True],
        "nobody": [0, True],
    }
    # A lead of checkout also sees payments' requested accounts whose own team column
    # says checkout: none here (the column says payments), so the same 21.
    assert answer["visible"] == [21, True]
    assert answer["access_rows_ok"] is True
    assert answer["notice"] == "Managed elsewhere."
    assert answer["no_id"] == ["", []]


# 3,000 accounts of one team, each of its own request, and the plan of a query, for
# the tests of what PostgreSQL reads a query off.
ACCOUNTS = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from vending.models import AccountRequest, Team, VendedAccount

def accounts(user, fields):
    team = Team.objects.create(slug="checkout", name="Checkout")
    requests = AccountRequest.objects.bulk_create(
        AccountRequest(team=team, requester=user, compliance_class="general",
                       environments=["dev"], justification="test", status="completed")
        for _ in range(3000))
    VendedAccount.objects.bulk_create(
        VendedAccount(request=r, environment="dev", email=f"a{i}@example.com",
                      target_ou_path="GeneralOU", status="ready",
                      account_id=f"{100000000000 + i:012d}", **fields(i))
        for i, r in enumerate(requests))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

def plan_of(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return cursor.fetchone()[0]
"""

PLAN = (
    ACCOUNTS
    + """
from vending.selectors.accounts import account_list_for
from vending.web.account_table import TABLE_COLUMNS

admin = get_user_model().objects.create_superuser("admin", "admin@example.com")
accounts(admin, lambda i: {"name": f"acct-{(i * 7919) % 3000:05d}", "is_active": i % 10 != 0})
page = (account_list_for(user=admin, filters={}).order_by("name", "id")
        .values_list(*TABLE_COLUMNS)[:51])
plan = plan_of(*page.query.sql_with_params())
names = [row[0] for row in page]
print(json.dumps({"plan": plan, "names": names}))
"""
)


def _index_names(node):
    yield node.get("Index Name", "")
    for child in node.get("Plans", ()):
        yield from _index_names(child)


def test_the_web_list_reads_its_first_page_off_its_index_on_postgresql(tmp_path):
    """3,000 accounts: the page's 51 rows are read in order off `account_list_order`
    (a page costs the same at any size), not by sorting every account."""
    answer = on_postgresql(tmp_path, PLAN)
    plan = answer["plan"][0]["Plan"]
    assert "account_list_order" in set(_index_names(plan)), json.dumps(plan, indent=1)
    # Active accounts only, in name order: every tenth (inactive) is left out.
    active = sorted(f"acct-{(i * 7919) % 3000:05d}" for i in range(3000) if i % 10)
    assert answer["names"] == active[:51]


HISTORY = (
    ACCOUNTS
    + """
from django.test.utils import CaptureQueriesContext
from vending.selectors.provisioning import creation_seconds_typical

lead = get_user_model().objects.create_user("lead", "lead@example.com")
start = timezone.now() - timedelta(days=30)
accounts(lead, lambda i: {"name": f"acct-{i:05d}", "create_seconds": i % 7 + 60,
                          "create_requested_at": start + timedelta(minutes=i)})
with CaptureQueriesContext(connection) as queries:
    typical = creation_seconds_typical(samples=5)
(query,) = queries.captured_queries
print(json.dumps({"plan": plan_of(query["sql"]), "typical": typical}))
"""
)


def test_the_creation_history_is_read_off_its_index_on_postgresql(tmp_path):
    """Every CreateAccount reads how long the last creations took: with 3,000 accounts
    its few rows come off `creation_history`, not from sorting every account."""
    answer = on_postgresql(tmp_path, HISTORY)
    plan = answer["plan"][0]["Plan"]
    assert "creation_history" in set(_index_names(plan)), json.dumps(plan, indent=1)
    # The newest five: i = 2995..2999, durations 60 + i % 7 = 66, 60, 61, 62, 63.
    assert answer["typical"] == 62.0
