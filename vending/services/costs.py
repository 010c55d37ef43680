"""Refreshing what the accounts spent: one set of Cost Explorer calls for the whole
organization (GetCostAndUsage, grouped by linked account, every page), kept in the
database for every page and API read. Cost Explorer charges USD 0.01 a call, so a refresh
runs when the figures are due (VENDING_COST_REFRESH_SECONDS), or when an admin asks.

A refresh that fails keeps its error and changes no figure: the pages show the last good
figures, when they were read, and the error.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from vending.audit import Actor
from vending.audit_day_two import cost_refresh_requested
from vending.aws import AwsError
from vending.aws.costs import AccountMonthCost, CostExplorerGateway, CostReport, get_cost_gateway
from vending.cost_models import AccountMonthlyCost, CostRefresh
from vending.dispatch import enqueue_cost_refresh
from vending.errors import PermissionDenied
from vending.roles import is_admin
from vending.selectors.costs import REFRESH_UNDER_WAY_SECONDS, cost_period, cost_refresh_due

logger = logging.getLogger(__name__)


def cost_refresh(
    *, gateway: CostExplorerGateway | None = None, now: datetime | None = None, force: bool = False
) -> CostRefresh | None:
    """Read every account's spend from Cost Explorer and keep it, if due (or `force`),
    unless a refresh is under way; None when nothing was done. AWS errors are kept on
    the refresh, not raised: the next due check tries again (after
    VENDING_COST_RETRY_SECONDS)."""
    now = now or timezone.now()
    if not cost_refresh_due(now=now, force=force):
        return None
    start, end = cost_period(today=now.date())
    refresh = _claim(now=now, start=start, end=end)
    if refresh is None:
        return None
    try:
        report = (gateway or get_cost_gateway()).monthly_costs_by_account(start=start, end=end)
    except AwsError as exc:
        logger.warning("Cost refresh failed; the last figures stay: %s", exc)
        refresh.error = str(exc)
        refresh.finished_at = timezone.now()
        refresh.under_way = None
        refresh.save(update_fields=["error", "finished_at", "under_way"])
        return refresh
    _keep(refresh, report, start=start, end=end)
    return refresh


def _claim(*, now: datetime, start: date, end: date) -> CostRefresh | None:
    """The refresh this run makes, or None when another run started one first. A run
    left under way by a crash (older than REFRESH_UNDER_WAY_SECONDS) gives way."""
    stale = now - timedelta(seconds=REFRESH_UNDER_WAY_SECONDS)
    CostRefresh.objects.filter(under_way=True, started_at__lte=stale).update(under_way=None)
    try:
        with transaction.atomic():
            return CostRefresh.objects.create(
                started_at=now, period_start=start, period_end=end, under_way=True
            )
    except IntegrityError:
        return None


def _keep(refresh: CostRefresh, report: CostReport, *, start: date, end: date) -> None:
    """The report replaces the figures of its months, in one transaction."""
    totals: dict[tuple[str, date], list[AccountMonthCost]] = defaultdict(list)
    for row in report.rows:
        totals[(row.account_id, row.month)].append(row)
    stamp = timezone.now()
    figures = [
        AccountMonthlyCost(
            account_id=account_id,
            month=month,
            # An account's month split over two pages is still one figure.
            amount=sum((r.amount for r in rows), Decimal(0)),
            currency=rows[0].currency,
            estimated=any(r.estimated for r in rows),
            aws_name=report.account_names.get(account_id, "")[:50],
            refreshed_at=stamp,
        )
        for (account_id, month), rows in totals.items()
        if month >= start
    ]
    with transaction.atomic():
        AccountMonthlyCost.objects.bulk_create(
            figures,
            update_conflicts=True,
            unique_fields=["account_id", "month"],
            update_fields=["amount", "currency", "estimated", "aws_name", "refreshed_at"],
        )
        # An account the report no longer lists for a month spent nothing in it.
        AccountMonthlyCost.objects.filter(month__gte=start, month__lt=end).exclude(
            refreshed_at=stamp
        ).delete()
        refresh.calls = report.calls
        refresh.rows = len(figures)
        refresh.finished_at = timezone.now()
        refresh.under_way = None
        refresh.save(update_fields=["calls", "rows", "finished_at", "under_way"])


def cost_refresh_request(*, actor: Actor) -> None:
    """An admin asks for the figures now: audited, queued for a worker once committed."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can refresh the spend figures.")
    with transaction.atomic():
        cost_refresh_requested(actor=actor)
        enqueue_cost_refresh()
