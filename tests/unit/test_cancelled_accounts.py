"""The accounts of a rejected or cancelled request end `cancelled`, never `pending`
forever; a data migration closes the rows written before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.models import AuditEvent, VendedAccount
from vending.services.requests import (
    account_request_cancel,
    account_request_create,
    account_request_reject,
)

BEFORE = ("vending", "0008_account_progress")
AFTER = ("vending", "0009_cancelled_accounts")


def submit(users, team, envs=("dev", "prod")):
    return account_request_create(
        requester=users["lead"], team=team, compliance_class="general",
        environments=list(envs), justification="Launch",
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("close", ["reject", "cancel"])
def test_closing_a_request_cancels_its_accounts(users, team, close):
    request = submit(users, team)
    if close == "reject":
        account_request_reject(request=request, actor=users["approver1"], reason="No budget")
    else:
        account_request_cancel(request=request, actor=users["lead"])
    accounts = list(request.accounts.all())
    assert {a.status for a in accounts} == {AccountStatus.CANCELLED}
    assert not any(a.is_active for a in accounts)
    events = AuditEvent.objects.filter(
        action=AuditAction.ACCOUNT_STATUS_CHANGED, to_status=AccountStatus.CANCELLED
    )
    assert sorted(e.account.environment for e in events) == ["dev", "prod"]
    # The names are free again for a new request.
    assert submit(users, team).accounts.count() == 2


@pytest.mark.slow  # rewinds the schema through the migrations and back: seconds
@pytest.mark.serial
@pytest.mark.django_db(transaction=True)
def test_the_migration_cancels_pending_accounts_of_closed_requests_only():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old = executor.loader.project_state([BEFORE]).apps
        User = old.get_model("auth", "User")
        Team = old.get_model("vending", "Team")
        Request = old.get_model("vending", "AccountRequest")
        Account = old.get_model("vending", "VendedAccount")
        lead = User.objects.create(username="lead")
        team = Team.objects.create(slug="checkout", name="Checkout")
        made = {}
        for status in ("rejected", "cancelled", "pending_approval", "provisioning"):
            request = Request.objects.create(
                team=team, requester=lead, compliance_class="general", environments=["dev"],
                justification="x", status=status,
            )  # fmt: skip
            made[status] = Account.objects.create(
                request=request, environment="dev", name=f"n-{status}", email=f"{status}@x.example",
                target_ou_path="GeneralOU", status="pending",
                is_active=status not in ("rejected", "cancelled"),
            )  # fmt: skip

        MigrationExecutor(connection).migrate([AFTER])
    finally:
        # Then the rest, so that today's models read the rows the migration changed
        # (and the next test finds the schema it expects, whatever happened here).
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    after = {s: VendedAccount.objects.get(pk=a.pk) for s, a in made.items()}
    assert after["rejected"].status == AccountStatus.CANCELLED
    assert after["cancelled"].status == AccountStatus.CANCELLED
    assert after["pending_approval"].status == AccountStatus.PENDING
    assert after["provisioning"].status == AccountStatus.PENDING
    trail = AuditEvent.objects.filter(to_status=AccountStatus.CANCELLED)
    assert sorted(e.account.name for e in trail) == ["n-cancelled", "n-rejected"]
    assert all(e.request.status in (RequestStatus.REJECTED, RequestStatus.CANCELLED) for e in trail)
