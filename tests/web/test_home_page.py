"""The lead's home page: their teams' accounts with status, how to sign in, spend this
month against the budget and lease,
the leases ending within 14 days, the open requests; a fixed number of queries whatever
the number of accounts. Approvers keep the count of what waits for them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import bulk_accounts
from tests.web.helpers import submit
from vending.access_models import AccessAssignment
from vending.cost_models import AccountMonthlyCost
from vending.models import VendedAccount

pytestmark = pytest.mark.django_db


def test_a_lead_sees_accounts_spend_leases_and_open_requests(web_client_for, users, fleet):
    today = timezone.now().date()
    AccountMonthlyCost.objects.create(
        account_id="111111111111",
        month=today.replace(day=1),
        amount=Decimal("321.09"),
        refreshed_at=timezone.now(),
    )
    VendedAccount.objects.filter(account_id="111111111111").update(
        expires_on=today + timedelta(days=3)
    )
    open_request = submit(users, fleet["general"].team, envs=("qa",))
    response = web_client_for("lead").get("/")
    html = response.content.decode()
    lead = response.context["lead"]
    # checkout-prod's request waits for approval: it is among the open requests.
    assert [a.account.name for a in lead.accounts] == ["checkout-dev"]
    assert "321.09" in html
    assert [a.account.name for a in lead.expiring] == ["checkout-dev"]
    assert "in 3 days" in html and "Extend the lease" in html
    assert open_request in lead.open_requests and fleet["general"] in lead.open_requests
    assert "payments" not in [t.slug for t in lead.teams]
    # Without Identity Center nor a budget: no sign-in link, no budget.
    assert "Sign in</a>" not in html and ">none<" in html


def test_a_lead_signs_in_from_home_and_sees_the_budget_used(web_client_for, users, fleet, settings):
    settings.VENDING_IDENTITY_CENTER = True
    settings.VENDING_SSO_START_URL = "https://example.awsapps.com/start"
    today = timezone.now().date()
    account = VendedAccount.objects.get(account_id="111111111111")
    VendedAccount.objects.filter(pk=account.pk).update(budget_amount=Decimal("400"))
    AccountMonthlyCost.objects.create(
        account_id="111111111111",
        month=today.replace(day=1),
        amount=Decimal("340"),
        refreshed_at=timezone.now(),
    )
    AccessAssignment.objects.create(
        account=account, group="checkout", permission_set="PowerUserAccess", status="assigned"
    )
    html = web_client_for("lead").get("/").content.decode()
    assert (
        'href="https://example.awsapps.com/start/#/console?account_id=111111111111'
        '&amp;role_name=PowerUserAccess"'
    ) in html
    assert "400.00" in html and "(85% used)" in html


def test_someone_who_leads_no_team_gets_no_lead_section(web_client_for, fleet, users):
    response = web_client_for("approver1").get("/")
    assert response.context["lead"] is None
    assert "Your teams' accounts" not in response.content.decode()
    assert "wait for your approval" in response.content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


def test_the_home_page_costs_the_same_queries_for_3_or_60_accounts(web_client_for, users, team):
    client = web_client_for("lead")
    bulk_accounts(team=team, requester=users["lead"], count=3)
    few = _queries(client)
    VendedAccount.objects.all().delete()
    bulk_accounts(team=team, requester=users["lead"], count=60)
    AccountMonthlyCost.objects.bulk_create(
        AccountMonthlyCost(
            account_id=a.account_id,
            month=timezone.now().date().replace(day=1),
            amount=Decimal(1),
            refreshed_at=timezone.now(),
        )
        for a in VendedAccount.objects.all()
    )
    assert _queries(client) == few
