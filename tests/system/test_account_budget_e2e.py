"""Through real processes (PostgreSQL, a broker, a Celery worker, the emulator): an account
vended with a budget and contacts has its AWS Budget (DescribeBudgets) and alternate
contact, and a decommission removes the budget."""

from __future__ import annotations

import boto3
import pytest

from tests.system.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

DECOMMISSION = """
from vending.models import VendedAccount
from django.contrib.auth.models import User
from vending.services.lifecycle_requests import account_change_request_create
account = VendedAccount.objects.get(account_id="{account_id}")
request = account_change_request_create(
    requester=User.objects.get(username="lead"), kind="decommission",
    account_id=account.account_id, justification="System test: done with it")
print("Request #%d" % request.pk)
"""


def _client(emulator, service: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_vended_account_gets_its_budget_and_loses_it_on_decommission(make_portal):
    portal, emulator = make_portal(create_delay=0.2)
    portal.start_worker()
    out = portal.manage(
        "request_create", "--as", "lead", "--team", "checkout", "--class", "general",
        "--env", "dev", "--justification", "System test", "--budget", "420",
        "--cost-centre", "CC-9", "--tag", "project=claims",
        "--contact", "billing", "Ana Ops", "Finance", "bills@example.com", "+1 555 0100",
    )  # fmt: skip
    request_id = int(out.split("#", 1)[1].split()[0])
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    status = portal.wait_finished(request_id)
    assert status["status"] == "completed", status
    account_id = status["accounts"][0]["account_id"]

    payer = emulator.client().describe_organization()["Organization"]["MasterAccountId"]
    budgets = _client(emulator, "budgets")
    name = f"vending-{account_id}"

    def budget_made():  # type: ignore[no-untyped-def]
        found = budgets.describe_budgets(AccountId=payer).get("Budgets", [])
        return [b for b in found if b["BudgetName"] == name]

    try:
        made = wait_for(budget_made, timeout=60, what="the account's budget", every=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{portal.logs()}") from exc
    assert made[0]["BudgetLimit"] == {"Amount": "420.00", "Unit": "USD"}
    assert made[0]["CostFilters"] == {"LinkedAccount": [account_id]}
    contact = _client(emulator, "account").get_alternate_contact(
        AccountId=account_id, AlternateContactType="BILLING"
    )["AlternateContact"]
    assert contact["EmailAddress"] == "bills@example.com"
    tags = {
        t["Key"]: t["Value"]
        for t in emulator.client().list_tags_for_resource(ResourceId=account_id)["Tags"]
    }
    assert tags["vending:cost-centre"] == "CC-9" and tags["project"] == "claims"

    out = portal.manage("shell", "-c", DECOMMISSION.format(account_id=account_id))
    decommission_id = int(out.split("#", 1)[1].split()[0])
    portal.manage("request_approve", str(decommission_id), "--as", "approver1")
    try:
        wait_for(lambda: not budget_made(), timeout=90, what="the budget's removal", every=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{portal.logs()}") from exc
