"""GET /api/v1/accounts/{id}/spend/ and /api/v1/teams/{slug}/spend/: the figures of the
last Cost Explorer refresh as JSON or CSV, for whoever may see the account or team."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.web.helpers import submit
from vending.choices import AccountStatus
from vending.cost_models import AccountMonthlyCost, CostRefresh
from vending.selectors.costs import cost_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def spent(users, team, other_team):
    """checkout-dev (111111111111) spent 10.50 this month; payments-qa (222222222222)
    20; one successful refresh."""
    now = timezone.now()
    months = cost_months(today=now.date())
    for who, on, env, account_id in [
        ("lead", team, "dev", "111111111111"),
        ("lead2", other_team, "qa", "222222222222"),
    ]:
        account = submit(users, on, envs=(env,), who=who).accounts.get()
        account.account_id, account.status = account_id, AccountStatus.READY
        account.save()
    CostRefresh.objects.create(
        started_at=now - timedelta(minutes=1),
        finished_at=now,
        period_start=months[0],
        period_end=now.date() + timedelta(days=1),
    )
    for account_id, amount in [("111111111111", "10.50"), ("222222222222", "20")]:
        AccountMonthlyCost.objects.create(
            account_id=account_id, month=months[-1], amount=Decimal(amount), refreshed_at=now
        )
    return months


def test_a_team_s_spend_as_json(client_for, spent):
    response = client_for("lead").get("/api/v1/teams/checkout/spend/")
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "USD"
    assert body["months"] == [f"{m:%Y-%m}" for m in spent]
    assert body["last_error"] == "" and body["refreshed_at"]
    [account] = body["accounts"]
    assert account["account_id"] == "111111111111" and account["name"] == "checkout-dev"
    assert account["months"][-1] == {
        "month": f"{spent[-1]:%Y-%m}",
        "amount": "10.50",
        "estimated": False,
    }
    assert account["months"][0]["amount"] == "0.00"
    assert body["totals"][-1]["amount"] == "10.50"


def test_an_account_s_spend_as_csv(client_for, spent):
    response = client_for("lead2").get("/api/v1/accounts/222222222222/spend/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "account_id", "account_name", "amount", "currency"]
    assert rows[-1] == [f"{spent[-1]:%Y-%m}", "222222222222", "payments-qa", "20.00", "USD"]
    assert len(rows) == 1 + len(spent)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("lead2", "/api/v1/teams/checkout/spend/"),
        ("nobody", "/api/v1/teams/checkout/spend/"),
        ("lead2", "/api/v1/accounts/111111111111/spend/"),
        ("lead2", "/api/v1/accounts/111111111111/spend/?format=csv"),
        ("lead", "/api/v1/accounts/12/spend/"),
        ("lead", "/api/v1/teams/nope/spend/"),
    ],
)
def test_others_get_a_json_404(client_for, spent, who, path):
    response = client_for(who).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_approvers_see_every_team_and_bad_parameters_are_refused(client_for, spent):
    assert client_for("approver1").get("/api/v1/teams/payments/spend/").status_code == 200
    refused = client_for("lead").get("/api/v1/teams/checkout/spend/?month=2026-01")
    assert refused.status_code == 400
    assert "month" in refused.json()["error"]["fields"]
