"""Who a budget's notifications e-mail follows the people: its account's owner and its
team's leads, with their addresses as they are now. The periodic check
(`budget_recipients_check`) queues the budgets whose people changed; their
notifications are then made again (AWS does not say who a notification e-mails), on
moto in-process as in test_aws_setup.py."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from moto.budgets.models import budgets_backends
from moto.core import DEFAULT_ACCOUNT_ID

from tests.metadata.test_aws_setup import PAYER, aws, vend  # noqa: F401  (the fixture)
from vending.models import VendedAccount
from vending.services.account_setup import account_setup_advance, budget_recipients_check

pytestmark = pytest.mark.django_db(transaction=True)  # tasks are queued on commit


def subscribers(account: VendedAccount) -> dict[float, tuple[str, ...]]:
    """Each notification's e-mail subscribers, as moto stores them (it has no
    DescribeSubscribersForNotification)."""
    budget = budgets_backends[DEFAULT_ACCOUNT_ID]["aws"].budgets[PAYER][
        f"vending-{account.account_id}"
    ]
    return {
        n.details["Threshold"]: tuple(s["Address"] for s in n.subscribers)
        for n in budget.notifications
    }


@pytest.fixture
def budgeted(users, team, aws, task_queue):  # noqa: F811
    account = vend(users, team, task_queue, budget=Decimal("500"))
    assert account.budget_status == "done", account.budget_error
    return account


def test_the_people_set_are_recorded_and_nothing_is_queued_while_they_stay(
    budgeted, django_assert_max_num_queries
):
    budgeted.refresh_from_db()
    assert budgeted.budget_emails == ["lead@example.com"]
    # The accounts, their owners and teams in one query; every team's leads in one.
    with django_assert_max_num_queries(2):
        assert budget_recipients_check() == []
    assert subscribers(budgeted) == {80.0: ("lead@example.com",), 100.0: ("lead@example.com",)}


def test_a_new_lead_gets_the_budgets_emails(budgeted, users, team, task_queue):
    team.leads.add(users["lead2"])
    assert budget_recipients_check() == [budgeted.pk]
    task_queue.drain()
    budgeted.refresh_from_db()
    assert budgeted.budget_status == "done", budgeted.budget_error
    both = ("lead@example.com", "lead2@example.com")
    assert subscribers(budgeted) == {80.0: both, 100.0: both}
    assert budgeted.budget_emails == list(both)
    assert budget_recipients_check() == []  # settled: nothing more to do


def test_a_changed_address_and_a_new_owner_are_followed(budgeted, users, team, task_queue):
    lead = users["lead"]
    lead.email = "lead.new@example.com"
    lead.save()
    assert budget_recipients_check() == [budgeted.pk]
    task_queue.drain()
    assert set(subscribers(budgeted).values()) == {("lead.new@example.com",)}
    # The owner changes to someone outside the team: they come first, then the leads.
    VendedAccount.objects.filter(pk=budgeted.pk).update(owner=users["approver1"])
    assert budget_recipients_check() == [budgeted.pk]
    task_queue.drain()
    owner = users["approver1"].email
    assert set(subscribers(budgeted).values()) == {(owner, "lead.new@example.com")}


def test_with_nobody_to_tell_the_notifications_go(budgeted, users, task_queue):
    lead = users["lead"]
    lead.email = ""
    lead.save()
    assert budget_recipients_check() == [budgeted.pk]
    task_queue.drain()
    budgeted.refresh_from_db()
    assert budgeted.budget_status == "done" and budgeted.budget_emails == []
    assert subscribers(budgeted) == {}
    # The budget itself stays: its amount still shows in the console.
    name = f"vending-{budgeted.account_id}"
    client = boto3.client("budgets", region_name="us-east-1")
    assert client.describe_budget(AccountId=PAYER, BudgetName=name)["Budget"]["BudgetName"]


def test_a_budget_with_no_list_recorded_is_made_again_once(budgeted, users, team, task_queue):
    """Budgets made before the list was kept: their people are unknown, so the first
    check makes their notifications again, and then leaves them."""
    team.leads.add(users["lead2"])
    VendedAccount.objects.filter(pk=budgeted.pk).update(budget_emails=[])
    assert budget_recipients_check() == [budgeted.pk]
    task_queue.drain()
    both = ("lead@example.com", "lead2@example.com")
    assert subscribers(budgeted) == {80.0: both, 100.0: both}
    assert budget_recipients_check() == []


def test_a_crash_between_delete_and_create_is_made_whole(budgeted, users, team, task_queue):
    """The worker died after deleting the 80% notification for the new list, before
    making it again: the account is still pending with the old list recorded, and the
    retry makes both for the new people."""
    team.leads.add(users["lead2"])
    client = boto3.client("budgets", region_name="us-east-1")
    client.delete_notification(
        AccountId=PAYER,
        BudgetName=f"vending-{budgeted.account_id}",
        Notification={
            "NotificationType": "ACTUAL",
            "ComparisonOperator": "GREATER_THAN",
            "Threshold": 80.0,
            "ThresholdType": "PERCENTAGE",
        },
    )
    VendedAccount.objects.filter(pk=budgeted.pk).update(budget_status="pending")
    account_setup_advance(account_id=budgeted.pk)
    both = ("lead@example.com", "lead2@example.com")
    assert subscribers(budgeted) == {80.0: both, 100.0: both}
