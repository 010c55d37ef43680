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


def _nodes(node):
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def _index_names(node):
    return (n.get("Index Name", "") for n in _nodes(node))


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


SEARCH = (
    ACCOUNTS
    + """
from django.core.checks import run_checks
from vending.selectors.accounts import account_list_for, search_matches

admin = get_user_model().objects.create_superuser("admin", "admin@example.com")
owners = [get_user_model().objects.create_user(n, f"{n}@example.com")
          for n in ("alice-owner", "bob-owner")]
accounts(admin, lambda i: {
    "name": f"acct-{i:05d}",
    "owner": owners[i // 100 % 2] if i % 100 == 0 else None,
    "cost_centre": f"CC-{i % 300:03d}",
    "tags": {"colour": f"blue-{i}"} if i % 50 == 0 else {},
})
every = list(VendedAccount.objects.select_related("owner"))

def expected(term):
    low = term.lower()
    return sorted(
        a.pk for a in every
        if low in a.name.lower() or low in a.email.lower() or term in (a.account_id or "")
        or (a.owner is not None and low in a.owner.username.lower())
        or low in a.cost_centre.lower() or low in json.dumps(a.tags).lower())

found = {}
for term in ("01234", "A1234@EXAMPLE", "100000002", "ALICE-OWN", "cc-277", "Blue-250"):
    got = sorted(account_list_for(user=admin, filters={}, search=term).values_list("pk", flat=True))
    found[term] = [len(got), got == expected(term)]
# The search's conditions on their own. At 3,000 accounts reading them all is as cheap
# as the index: the plan is taken with that way ruled out, to show the index answers
# each condition the search writes (the bench shows the planner choosing it at 10,000).
matching = VendedAccount.objects.filter(search_matches("01234")).order_by().values_list("pk")
with connection.cursor() as cursor:
    cursor.execute("SET enable_seqscan = off")
plan = plan_of(*matching.query.sql_with_params())
with connection.cursor() as cursor:
    cursor.execute("RESET enable_seqscan")
warned = [m.id for m in run_checks(databases=["default"])]
with connection.cursor() as cursor:
    cursor.execute("DROP INDEX account_search")
unindexed = [m.id for m in run_checks(databases=["default"])]
print(json.dumps({"found": found, "plan": plan, "warned": warned, "unindexed": unindexed}))
"""
)


def test_the_accounts_search_is_read_off_its_trigram_index_on_postgresql(tmp_path):
    """Searching 3,000 accounts for text inside a name reads the matches off
    `account_search` (migration 0031), not every account; each field the search looks in
    finds the same accounts as a plain case-insensitive reading; without the index,
    `check --database` warns (vending.W002)."""
    answer = on_postgresql(tmp_path, SEARCH)
    plan = answer["plan"][0]["Plan"]
    searched = sorted(
        node["Index Cond"] for node in _nodes(plan) if node.get("Index Name") == "account_search"
    )
    # Each condition on the account's own columns is an index condition (the owner's
    # goes through the users' ids and the owner index).
    assert [cond.split(" ~~ ")[0] for cond in searched] == [
        "((account_id)::text",
        "(upper((cost_centre)::text)",
        "(upper((email)::text)",
        "(upper((name)::text)",
        "(upper((tags)::text)",
    ], json.dumps(plan, indent=1)
    assert answer["found"] == {
        "01234": [1, True],  # acct-01234 (and no e-mail a1234 contains it)
        "A1234@EXAMPLE": [1, True],  # a1234@example.com, whatever the case
        "100000002": [1000, True],  # the account ids 100000002000 to 100000002999
        "ALICE-OWN": [15, True],  # every hundredth account, every other one alice's
        "cc-277": [10, True],  # CC-277: i = 277, 577, ..., 2977
        "Blue-250": [2, True],  # blue-250 and blue-2500
    }, answer["found"]
    assert "vending.W002" not in answer["warned"]
    assert "vending.W002" in answer["unindexed"]


NO_EXTENSION = """
import io, json, uuid
from contextlib import redirect_stderr
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from vending.selectors.accounts import account_list_for
from vending.models import VendedAccount

# Back to before the index, without the extension; then migrate as a role that may not
# create it (no CREATE on the database), as on a server run by someone else.
call_command("migrate", "vending", "0030", verbosity=0)
role = f"portal_{uuid.uuid4().hex[:8]}"
with connection.cursor() as cursor:
    cursor.execute("DROP EXTENSION pg_trgm")
    cursor.execute(f"CREATE ROLE {role}")
    # Everything on the tables (what migrate's bookkeeping writes), nothing on the database.
    cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
err = io.StringIO()
try:
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    with redirect_stderr(err):
        call_command("migrate", "vending", "0031", verbosity=0)
finally:
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")
with connection.cursor() as cursor:
    cursor.execute("SELECT to_regclass('account_search') IS NULL,"
                   " NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")
    missing = list(cursor.fetchone())
admin = get_user_model().objects.create_superuser("admin", "admin@example.com")
VendedAccount.objects.create(name="payments-prod", email="p@example.com",
                             target_ou_path="GeneralOU", status="ready", origin="imported",
                             account_id="123456789012")
found = list(account_list_for(user=admin, filters={}, search="MENTS-PR")
             .values_list("name", flat=True))
applied = MigrationRecorder(connection).applied_migrations()
print(json.dumps({
    "message": err.getvalue(), "missing": missing, "found": found,
    "warned": [m.id for m in run_checks(databases=["default"])],
    "applied": ("vending", "0031_account_search_index") in applied,
}))
"""


def test_without_the_trigram_extension_the_search_works_unindexed_and_says_so(tmp_path):
    """A database user that may not create pg_trgm (no CREATE on the database): migration
    0031 says why it made no index and goes on, searches still find accounts, and
    `check --database` warns (vending.W002)."""
    answer = on_postgresql(tmp_path, NO_EXTENSION)
    assert answer["missing"] == [True, True]
    assert answer["applied"] is True
    assert "The accounts search is not indexed" in answer["message"]
    assert "permission denied" in answer["message"]
    assert answer["found"] == ["payments-prod"]
    assert "vending.W002" in answer["warned"]
