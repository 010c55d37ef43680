"""An account's owner, cost centre and tags on the AWS account, its alternate contacts
and its budget, set through the portal's own provisioning against moto in-process (the
Account and Budgets APIs too: moto, plus UpdateBudget from the emulator)."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from moto.budgets.models import budgets_backends
from moto.core import DEFAULT_ACCOUNT_ID

from tests.lifecycle.conftest import approve_all
from vending.aws import PermanentAwsError
from vending.aws.account_contacts import get_contacts_gateway
from vending.aws.budgets import BudgetsGateway, get_budgets_gateway
from vending.models import AuditEvent, VendedAccount
from vending.selectors.request_metadata import MetadataInput
from vending.services.account_setup import account_budget_set, account_setup_advance
from vending.services.lifecycle_requests import account_change_request_create
from vending.services.requests import account_request_create

CONTACT = {
    "name": "Ana Ops",
    "title": "On call",
    "email": "ops@example.com",
    "phone": "+1 555 0100",
}
PAYER = DEFAULT_ACCOUNT_ID  # moto's organization is managed from its default account

pytestmark = pytest.mark.django_db(transaction=True)  # tasks are queued on commit


@pytest.fixture
def aws(moto_gateway):  # type: ignore[no-untyped-def]
    from vending.emulator.budgets import install

    install()  # UpdateBudget, which moto lacks (the emulator answers it too)
    get_budgets_gateway.cache_clear()
    get_contacts_gateway.cache_clear()
    yield moto_gateway
    get_budgets_gateway.cache_clear()
    get_contacts_gateway.cache_clear()


def vend(users, team, task_queue, *, duplicate: bool = False, **given) -> VendedAccount:  # type: ignore[no-untyped-def]
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="Claims service",
        metadata=MetadataInput(**given),
    )
    approve_all(request, users)
    task_queue.drain(duplicate=duplicate)
    account = request.accounts.get()
    assert account.status == "ready", (account.failure_reason, request.status, task_queue.delivered)
    return account


def budgets_client():  # type: ignore[no-untyped-def]
    return boto3.client("budgets", region_name="us-east-1")


def test_owner_cost_centre_and_tags_are_on_the_aws_account(users, team, aws, task_queue):
    team.leads.add(users["lead2"])
    account = vend(
        users, team, task_queue, owner="lead2", cost_centre="CC-42", tags={"project": "claims"}
    )
    org = boto3.client("organizations", region_name="us-east-1")
    tags = {
        t["Key"]: t["Value"]
        for t in org.list_tags_for_resource(ResourceId=account.account_id)["Tags"]
    }
    assert tags["vending:owner"] == "lead2"
    assert tags["vending:cost-centre"] == "CC-42"
    assert tags["project"] == "claims"
    assert tags["vending:team"] == "checkout"
    # Nothing else to set: no setup task ran, no contacts or budget status.
    assert account.contacts_status == "" and account.budget_status == ""


def test_the_defaults_are_the_requester_and_the_teams_slug(users, team, aws, task_queue):
    account = vend(users, team, task_queue)
    assert account.owner == users["lead"] and account.cost_centre == "checkout"
    assert account.request.owner == users["lead"]


@pytest.mark.slow
def test_contacts_are_put_through_the_account_api(users, team, aws, task_queue):
    account = vend(users, team, task_queue, contacts={"billing": CONTACT, "security": CONTACT})
    assert account.contacts_status == "done", account.contacts_error
    client = boto3.client("account", region_name="us-east-1")
    for kind in ("BILLING", "SECURITY"):
        got = client.get_alternate_contact(AccountId=account.account_id, AlternateContactType=kind)
        assert got["AlternateContact"]["EmailAddress"] == "ops@example.com"
        assert got["AlternateContact"]["PhoneNumber"] == "+1 555 0100"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_alternate_contact(
            AccountId=account.account_id, AlternateContactType="OPERATIONS"
        )
    assert AuditEvent.objects.filter(action="account.setup_done", account=account).exists()


def test_a_budget_watches_the_account_and_emails_owner_and_leads(users, team, aws, task_queue):
    team.leads.add(users["lead2"])
    account = vend(users, team, task_queue, budget=Decimal("750"))
    assert account.budget_status == "done", account.budget_error
    name = f"vending-{account.account_id}"
    budget = budgets_client().describe_budget(AccountId=PAYER, BudgetName=name)["Budget"]
    assert budget["BudgetLimit"] == {"Amount": "750.00", "Unit": "USD"}
    assert budget["CostFilters"] == {"LinkedAccount": [account.account_id]}
    assert budget["TimeUnit"] == "MONTHLY" and budget["BudgetType"] == "COST"
    notifications = budgets_client().describe_notifications_for_budget(
        AccountId=PAYER, BudgetName=name
    )["Notifications"]
    assert sorted(n["Threshold"] for n in notifications) == [80.0, 100.0]
    assert {n["NotificationType"] for n in notifications} == {"ACTUAL"}
    # moto has no DescribeSubscribersForNotification: its stored subscribers, read directly.
    stored = budgets_backends[DEFAULT_ACCOUNT_ID]["aws"].budgets[PAYER][name].notifications
    assert {tuple(s["Address"] for s in n.subscribers) for n in stored} == {
        ("lead@example.com", "lead2@example.com")
    }


def test_delivered_twice_makes_one_budget_and_two_notifications(users, team, aws, task_queue):
    account = vend(users, team, task_queue, duplicate=True, budget=Decimal("100"))
    account_setup_advance(account_id=account.pk)  # and once more, after it is done
    budgets = budgets_client().describe_budgets(AccountId=PAYER)["Budgets"]
    assert [b["BudgetName"] for b in budgets] == [f"vending-{account.account_id}"]
    notifications = budgets_client().describe_notifications_for_budget(
        AccountId=PAYER, BudgetName=f"vending-{account.account_id}"
    )["Notifications"]
    assert len(notifications) == 2


def test_a_budget_made_by_an_interrupted_attempt_is_found_not_duplicated(
    users, team, aws, task_queue
):
    account = vend(users, team, task_queue, budget=Decimal("100"))
    # As if the worker died after CreateBudget, before recording it: still pending, and
    # since then an admin asked for more.
    VendedAccount.objects.filter(pk=account.pk).update(
        budget_status="pending", budget_amount=Decimal("300")
    )
    account_setup_advance(account_id=account.pk)
    account.refresh_from_db()
    assert account.budget_status == "done"
    name = f"vending-{account.account_id}"
    budget = budgets_client().describe_budget(AccountId=PAYER, BudgetName=name)["Budget"]
    assert budget["BudgetLimit"]["Amount"] == "300.00"


@pytest.mark.slow
def test_an_admin_changes_and_removes_the_budget(users, team, aws, task_queue):
    account = vend(users, team, task_queue, budget=Decimal("100"))
    name = f"vending-{account.account_id}"
    account_budget_set(actor=users["admin"], account=account, amount=Decimal("2500"))
    task_queue.drain()
    budget = budgets_client().describe_budget(AccountId=PAYER, BudgetName=name)["Budget"]
    assert budget["BudgetLimit"]["Amount"] == "2500.00"
    assert budget["CostFilters"] == {"LinkedAccount": [account.account_id]}
    event = AuditEvent.objects.get(action="account.budget_changed", account=account)
    assert event.actor == users["admin"] and event.data == {"previous": "100.00", "amount": "2500"}

    account.refresh_from_db()
    account_budget_set(actor=users["admin"], account=account, amount=None)
    task_queue.drain()
    account.refresh_from_db()
    assert account.budget_status == "removed" and account.budget_amount is None
    assert budgets_client().describe_budgets(AccountId=PAYER).get("Budgets", []) == []


def test_only_admins_change_a_budget(users, team, aws, task_queue):
    from vending.errors import PermissionDenied

    account = vend(users, team, task_queue)
    with pytest.raises(PermissionDenied):
        account_budget_set(actor=users["lead"], account=account, amount=Decimal("5"))
    assert not AuditEvent.objects.filter(action="account.budget_changed").exists()


def test_decommission_deletes_the_budget(users, team, aws, task_queue):
    account = vend(users, team, task_queue, budget=Decimal("100"))
    request = account_change_request_create(
        requester=users["lead"],
        kind="decommission",
        account_id=account.account_id,
        justification="Done with it",
    )
    approve_all(request, users)
    task_queue.drain()
    account.refresh_from_db()
    assert account.status in ("closing", "closed", "suspended")
    assert account.budget_status == "removed", account.budget_error
    assert budgets_client().describe_budgets(AccountId=PAYER).get("Budgets", []) == []


def test_a_refusal_shows_on_the_account_and_the_vend_stays_ready(
    users, team, aws, task_queue, monkeypatch
):
    def refuse(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermanentAwsError(
            "User is not authorized to perform budgets:ModifyBudget",
            code="AccessDeniedException",
            operation="CreateBudget",
        )

    monkeypatch.setattr(BudgetsGateway, "create_budget", refuse)
    account = vend(users, team, task_queue, budget=Decimal("100"))
    account.request.refresh_from_db()
    assert account.status == "ready" and account.request.status == "completed"
    assert account.budget_status == "failed"
    assert "may not call CreateBudget" in account.budget_error


def test_a_refused_contact_is_tried_again_when_an_admin_saves_the_budget(
    users, team, aws, task_queue, monkeypatch
):
    from vending.aws.account_contacts import AccountContactsGateway

    real = AccountContactsGateway.put_alternate_contact

    def refuse(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermanentAwsError(
            "Trusted access is not enabled", code="AccessDeniedException", operation="X"
        )

    monkeypatch.setattr(AccountContactsGateway, "put_alternate_contact", refuse)
    account = vend(users, team, task_queue, contacts={"operations": CONTACT})
    assert account.contacts_status == "failed" and "may not call" in account.contacts_error
    monkeypatch.setattr(AccountContactsGateway, "put_alternate_contact", real)
    account_budget_set(actor=users["admin"], account=account, amount=Decimal("50"))
    task_queue.drain()
    account.refresh_from_db()
    assert account.contacts_status == "done" and account.contacts_error == ""
    assert account.budget_status == "done"
