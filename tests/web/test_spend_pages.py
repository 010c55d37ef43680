"""What teams and accounts spend, on the web: the team's page with its chart and table,
the account page's chart, the CSV exports (rows, escaping), who may see them (404 for
others) and an admin's "Refresh now"."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.web.helpers import AwsDown
from vending.choices import AuditAction
from vending.cost_models import AccountMonthlyCost, CostRefresh
from vending.models import AuditEvent, VendedAccount
from vending.selectors.costs import cost_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def costs(fleet):
    """Figures for checkout-dev (111111111111) this month and 2 months ago, and for
    payments' qa account (222222222222); one successful refresh."""
    now = timezone.now()
    months = cost_months(today=now.date())
    refresh = CostRefresh.objects.create(
        started_at=now - timedelta(minutes=2),
        finished_at=now - timedelta(minutes=1),
        period_start=months[0],
        period_end=now.date() + timedelta(days=1),
        calls=1,
        rows=3,
    )
    for account_id, month, amount in [
        ("111111111111", months[-1], "123.45"),
        ("111111111111", months[-3], "987.60"),
        ("222222222222", months[-1], "55.00"),
    ]:
        AccountMonthlyCost.objects.create(
            account_id=account_id,
            month=month,
            amount=Decimal(amount),
            estimated=month == months[-1],
            refreshed_at=now,
        )
    return {"months": months, "refresh": refresh}


def test_the_team_page_shows_its_accounts_and_their_spend(web_client_for, costs):
    response = web_client_for("lead").get("/teams/checkout/")
    assert response.status_code == 200
    html = response.content.decode()
    # The chart: an accessible SVG with the totals as text, and the table below it.
    assert re.search(
        r'<svg[^>]*role="img"[^>]*aria-labelledby="team-spend-title team-spend-desc"', html
    )
    assert '<title id="team-spend-title">Spend of team checkout</title>' in html
    month = costs["months"][-1]
    assert f"{month:%b %Y}: 123.45 USD" in html  # in the SVG's description
    assert "987.60 USD" in html
    assert "checkout-dev" in html and "111111111111" in html
    assert "55.00" not in html  # the other team's account
    assert "Last refreshed from AWS Cost Explorer" in html
    assert "Refresh now" not in html  # admins only


def test_the_chart_scales_bars_to_the_largest_month(web_client_for, costs):
    chart = web_client_for("lead").get("/teams/checkout/").context["chart"]
    heights = {bar.label: bar.height for bar in chart.bars}
    months = costs["months"]
    tallest = heights[f"{months[-3]:%b %Y}"]
    assert tallest == max(heights.values()) > 0
    assert heights[f"{months[-1]:%b %Y}"] == pytest.approx(tallest * 123.45 / 987.60)
    assert heights[f"{months[0]:%b %Y}"] == 0
    assert chart.bars[-1].estimated and not chart.bars[0].estimated


@pytest.mark.parametrize(
    ("who", "status"),
    [("lead", 200), ("approver1", 200), ("admin", 200), ("lead2", 404), ("nobody", 404)],
)
def test_the_team_page_and_its_csv_are_for_its_leads_approvers_and_admins(
    web_client_for, costs, who, status
):
    client = web_client_for(who)
    assert client.get("/teams/checkout/").status_code == status
    assert client.get("/teams/checkout/spend.csv").status_code == status
    assert client.get("/accounts/111111111111/spend.csv").status_code == status
    assert client.get("/teams/nope/").status_code == 404


def test_the_team_csv_has_a_row_per_account_and_month(web_client_for, costs):
    response = web_client_for("lead").get("/teams/checkout/spend.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="spend-checkout-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "account_id", "account_name", "amount", "currency"]
    months = [f"{m:%Y-%m}" for m in costs["months"]]
    assert len(rows) == 1 + len(months)  # checkout-dev only: prod has no AWS account yet
    assert rows[-1] == [months[-1], "111111111111", "checkout-dev", "123.45", "USD"]
    assert rows[1] == [months[0], "111111111111", "checkout-dev", "0.00", "USD"]


def test_the_csv_quotes_and_neutralises_formulas(web_client_for, costs):
    VendedAccount.objects.filter(account_id="111111111111").update(name='=HYPERLINK("x"),y')
    text = web_client_for("lead").get("/accounts/111111111111/spend.csv").content.decode()
    assert '"\'=HYPERLINK(""x""),y"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[-1][2] == '\'=HYPERLINK("x"),y'


def test_the_account_page_charts_its_spend(web_client_for, costs, monkeypatch):
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: AwsDown())
    html = web_client_for("lead").get("/accounts/111111111111/").content.decode()
    assert '<title id="account-spend-title">Spend of account checkout-dev</title>' in html
    assert "123.45" in html and "987.60" in html
    assert 'href="/accounts/111111111111/spend.csv"' in html
    assert 'href="/teams/checkout/"' in html


def test_no_figures_yet_and_a_failed_refresh_are_said(web_client_for, fleet, monkeypatch):
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: AwsDown())
    html = web_client_for("lead").get("/accounts/111111111111/").content.decode()
    assert "No figures yet" in html and "no figure yet" in html
    CostRefresh.objects.create(
        started_at=timezone.now(),
        finished_at=timezone.now(),
        period_start=timezone.now().date(),
        period_end=timezone.now().date(),
        error="GetCostAndUsage: AccessDeniedException: needs ce:GetCostAndUsage",
    )
    html = web_client_for("lead").get("/teams/checkout/").content.decode()
    assert "failed: GetCostAndUsage: AccessDeniedException" in html


def test_an_admin_refreshes_now(web_client_for, costs, task_queue):
    assert web_client_for("lead").post("/costs/refresh/").status_code == 403
    admin = web_client_for("admin")
    page = admin.get("/teams/checkout/").content.decode()
    assert "Refresh now" in page
    response = admin.post("/costs/refresh/", {"next": "/teams/checkout/"})
    assert response.status_code == 302 and response["Location"] == "/teams/checkout/"
    assert admin.post("/costs/refresh/", {"next": "https://evil.example/"})["Location"] == "/"
    assert AuditEvent.objects.filter(action=AuditAction.COST_REFRESH_REQUESTED).count() == 2
