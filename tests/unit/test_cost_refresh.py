"""Refreshing the spend figures: one set of Cost Explorer calls per refresh for the whole
organization, only when due (or forced by an admin), kept in the database; a failed
refresh keeps the last figures and its error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from moto import mock_aws

from tests.unit.test_cost_gateway import period, seed
from vending.aws import PermanentAwsError, TransientAwsError
from vending.aws.costs import AccountMonthCost, CostExplorerGateway, CostReport
from vending.choices import AuditAction
from vending.cost_models import AccountMonthlyCost, CostRefresh
from vending.errors import PermissionDenied
from vending.models import AuditEvent
from vending.selectors.costs import cost_freshness, cost_months, cost_period, cost_refresh_due
from vending.services.costs import cost_refresh, cost_refresh_request
from vending.services.demo import DEMO_MONTHLY_COST_USD, demo_costs_enable

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class FakeCostGateway:
    """Answers what it is given, counting the calls; or raises `error`."""

    def __init__(self, rows: list[AccountMonthCost] | None = None, error: Exception | None = None):
        self.rows = rows or []
        self.error = error
        self.asked: list[tuple[date, date]] = []

    def monthly_costs_by_account(self, *, start: date, end: date) -> CostReport:
        self.asked.append((start, end))
        if self.error is not None:
            raise self.error
        return CostReport(rows=tuple(self.rows), account_names={"111111111111": "dev"}, calls=1)


def row(account: str, month: date, amount: str, estimated: bool = False) -> AccountMonthCost:
    return AccountMonthCost(account, month, Decimal(amount), "USD", estimated)


def figures() -> dict[tuple[str, str], Decimal]:
    return {(f.account_id, f"{f.month:%Y-%m}"): f.amount for f in AccountMonthlyCost.objects.all()}


def test_the_period_is_six_full_months_and_this_month_to_date():
    assert cost_months(today=date(2026, 3, 15)) == [
        date(2025, 9, 1),
        date(2025, 10, 1),
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    # Cost Explorer's end is exclusive: tomorrow, so today counts.
    assert cost_period(today=date(2026, 3, 1)) == (date(2025, 9, 1), date(2026, 3, 2))


def test_one_call_set_per_refresh_and_none_until_due(settings):
    settings.VENDING_COST_REFRESH_SECONDS = 6 * 3600
    gateway = FakeCostGateway([row("111111111111", date(2026, 11, 1), "10.5", True)])
    refresh = cost_refresh(gateway=gateway, now=NOW)
    assert refresh is not None and refresh.succeeded and refresh.calls == 1 and refresh.rows == 1
    assert gateway.asked == [(date(2026, 5, 1), date(2026, 11, 21))]
    # Not due again for 6 hours: the periodic check makes no call.
    assert cost_refresh(gateway=gateway, now=NOW + timedelta(hours=5)) is None
    assert len(gateway.asked) == 1
    assert cost_refresh(gateway=gateway, now=NOW + timedelta(hours=6)) is not None
    assert len(gateway.asked) == 2
    # An admin's refresh does not wait.
    assert cost_refresh(gateway=gateway, now=NOW + timedelta(hours=6, minutes=1), force=True)
    assert len(gateway.asked) == 3
    [figure] = AccountMonthlyCost.objects.all()
    assert (figure.amount, figure.estimated, figure.aws_name) == (Decimal("10.5"), True, "dev")


def test_figures_are_replaced_and_a_month_no_longer_reported_goes(settings):
    nov, oct_ = date(2026, 11, 1), date(2026, 10, 1)
    cost_refresh(
        gateway=FakeCostGateway(
            [
                row("111111111111", oct_, "7"),
                row("222222222222", oct_, "1"),
                row("111111111111", nov, "2"),
            ]
        ),
        now=NOW,
    )
    cost_refresh(
        gateway=FakeCostGateway(
            # The same account over two pages is one figure.
            [
                row("111111111111", oct_, "7"),
                row("111111111111", nov, "3"),
                row("111111111111", nov, "1"),
            ]
        ),
        now=NOW + timedelta(days=1),
        force=True,
    )
    assert figures() == {
        ("111111111111", "2026-10"): Decimal("7"),
        ("111111111111", "2026-11"): Decimal("4"),
    }


def test_a_failed_refresh_keeps_the_last_figures_and_shows_its_error(settings):
    settings.VENDING_COST_RETRY_SECONDS = 1800
    cost_refresh(gateway=FakeCostGateway([row("111111111111", date(2026, 11, 1), "5")]), now=NOW)
    later = NOW + timedelta(hours=7)
    failing = FakeCostGateway(
        error=TransientAwsError("Rate exceeded", code="LimitExceededException")
    )
    failed = cost_refresh(gateway=failing, now=later)
    assert failed is not None and not failed.succeeded
    assert "Rate exceeded" in failed.error
    assert figures() == {("111111111111", "2026-11"): Decimal("5")}
    freshness = cost_freshness()
    assert freshness.failed == failed
    assert freshness.last_success is not None and freshness.last_success.started_at == NOW
    # Tried again after the retry wait, not at every periodic check.
    assert not cost_refresh_due(now=later + timedelta(minutes=29))
    assert cost_refresh_due(now=later + timedelta(minutes=30))
    cost_refresh(gateway=FakeCostGateway(error=PermanentAwsError("denied")), now=later, force=True)
    assert CostRefresh.objects.filter(error="").count() == 1


def test_a_refresh_under_way_is_not_doubled():
    CostRefresh.objects.create(
        started_at=NOW, period_start=date(2026, 5, 1), period_end=date(2026, 11, 21)
    )
    assert not cost_refresh_due(now=NOW + timedelta(minutes=5))
    # Not even an admin's: the refresh under way reads the same figures.
    gateway = FakeCostGateway()
    assert cost_refresh(gateway=gateway, now=NOW + timedelta(minutes=5), force=True) is None
    assert gateway.asked == []
    # One that never finished (its worker died) does not block for ever.
    assert cost_refresh_due(now=NOW + timedelta(minutes=11))


def test_the_refresh_reads_cost_explorer_through_the_gateway(settings):
    with mock_aws():
        today = datetime.now(tz=UTC)
        month = today.date().replace(day=1)
        seed(
            {
                "ResultsByTime": [
                    period(f"{month}", f"{today.date()}", {"111111111111": "42.10"}, estimated=True)
                ],
                "NextPageToken": "2",
            },
            {"ResultsByTime": [period(f"{month}", f"{today.date()}", {"222222222222": "1.5"})]},
        )
        refresh = cost_refresh(gateway=CostExplorerGateway(), force=True)
    assert refresh is not None and refresh.calls == 2 and refresh.rows == 2
    assert figures() == {
        ("111111111111", f"{month:%Y-%m}"): Decimal("42.10"),
        ("222222222222", f"{month:%Y-%m}"): Decimal("1.5"),
    }


def test_only_admins_ask_for_a_refresh_now_and_it_is_audited(
    users, task_queue, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionDenied):
        cost_refresh_request(actor=users["approver1"])
    with django_capture_on_commit_callbacks(execute=True):
        cost_refresh_request(actor=users["admin"])
    assert [m[0] for m in task_queue.messages] == ["vending.cost_refresh"]
    event = AuditEvent.objects.get(action=AuditAction.COST_REFRESH_REQUESTED)
    assert event.actor == users["admin"]


def test_the_demo_s_emulator_reports_spend_that_a_refresh_keeps(emulator_org, settings):
    settings.VENDING_EMULATOR, settings.DEBUG = True, True
    emulator = emulator_org.emulator
    demo_costs_enable(endpoint_url=emulator.endpoint_url)
    assert emulator.app.config.monthly_cost_usd == DEMO_MONTHLY_COST_USD
    refresh = cost_refresh(gateway=CostExplorerGateway(), force=True)
    assert refresh is not None and refresh.succeeded, refresh and refresh.error
    management = emulator_org.describe_organization().management_account_id
    months = {f.month for f in AccountMonthlyCost.objects.filter(account_id=management)}
    assert months == set(cost_months(today=datetime.now(tz=UTC).date()))


def test_demo_spend_is_refused_outside_demo_mode(settings):
    settings.VENDING_EMULATOR = False
    with pytest.raises(PermissionDenied):
        demo_costs_enable(endpoint_url="http://127.0.0.1:1")


def test_two_runs_that_both_saw_it_due_make_one_set_of_calls(monkeypatch):
    # Both read "due" before either wrote its refresh (beat's checks picked up by two
    # worker processes at once): the second finds the first under way and calls nothing.
    monkeypatch.setattr("vending.services.costs.cost_refresh_due", lambda **kwargs: True)
    CostRefresh.objects.create(
        started_at=NOW, period_start=date(2026, 5, 1), period_end=date(2026, 11, 21)
    )
    gateway = FakeCostGateway()
    assert cost_refresh(gateway=gateway, now=NOW + timedelta(seconds=1)) is None
    assert gateway.asked == []
    assert CostRefresh.objects.count() == 1


def test_a_refresh_left_under_way_by_a_dead_worker_gives_way():
    dead = CostRefresh.objects.create(
        started_at=NOW, period_start=date(2026, 5, 1), period_end=date(2026, 11, 21)
    )
    gateway = FakeCostGateway([row("111111111111", date(2026, 11, 1), "5.00")])
    done = cost_refresh(gateway=gateway, now=NOW + timedelta(minutes=11))
    assert done is not None and done.succeeded and done.under_way is None
    dead.refresh_from_db()
    assert dead.under_way is None and dead.finished_at is None
    # Finished, it no longer holds the place: the next one due runs.
    assert cost_refresh(gateway=gateway, now=NOW + timedelta(days=2)) is not None
