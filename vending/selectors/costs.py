"""Reads of what accounts and teams spend: the figures the last Cost Explorer refresh
kept (no AWS call), the months shown, and how fresh the figures are.

Every read is bounded: one query for the figures of any number of accounts.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from vending.cost_models import AccountMonthlyCost, CostRefresh
from vending.models import Team, VendedAccount
from vending.roles import User

# A refresh started this long ago and not finished is taken as dead (beyond any task's
# hard time limit), so a crashed one does not block refreshes for ever.
REFRESH_UNDER_WAY_SECONDS = 600


def cost_months(*, today: date, months: int | None = None) -> list[date]:
    """The first day of each month shown, oldest first: `months` full months (default
    VENDING_COST_MONTHS) and the current one (month to date)."""
    count = settings.VENDING_COST_MONTHS if months is None else months
    first = today.replace(day=1)
    shown = [first]
    for _ in range(count):
        shown.append((shown[-1] - timedelta(days=1)).replace(day=1))
    return list(reversed(shown))


def cost_period(*, today: date) -> tuple[date, date]:
    """What a refresh asks Cost Explorer for: from the first shown month to the end of
    today (Cost Explorer's end is exclusive)."""
    return cost_months(today=today)[0], today + timedelta(days=1)


@dataclass(frozen=True)
class CostFreshness:
    """How fresh the figures are: the last refresh that worked, and the last attempt
    (the same one, or a failed one after it, with its error)."""

    last_success: CostRefresh | None
    last_attempt: CostRefresh | None

    @property
    def failed(self) -> CostRefresh | None:
        """The last attempt when it failed (its error is shown), else None."""
        attempt = self.last_attempt
        return attempt if attempt is not None and attempt.error else None

    @property
    def under_way(self) -> bool:
        attempt = self.last_attempt
        return bool(attempt is not None and attempt.finished_at is None)


def cost_freshness() -> CostFreshness:
    recent = list(CostRefresh.objects.order_by("-started_at", "-id")[:1])
    success = (
        CostRefresh.objects.filter(finished_at__isnull=False, error="")
        .order_by("-started_at", "-id")
        .first()
    )
    return CostFreshness(last_success=success, last_attempt=recent[0] if recent else None)


def cost_refresh_due(*, now: datetime, force: bool = False) -> bool:
    """Whether to read Cost Explorer now: no refresh yet, the last good one is older
    than VENDING_COST_REFRESH_SECONDS, the last one failed more than
    VENDING_COST_RETRY_SECONDS ago, or `force` (an admin asked); never while one is
    under way (an admin's second click costs nothing)."""
    last = CostRefresh.objects.order_by("-started_at", "-id").first()
    if last is None:
        return True
    age = (now - last.started_at).total_seconds()
    if last.finished_at is None:
        return age >= REFRESH_UNDER_WAY_SECONDS
    if force:
        return True
    every = settings.VENDING_COST_REFRESH_SECONDS
    wait = every if last.succeeded else min(every, settings.VENDING_COST_RETRY_SECONDS)
    return age >= wait


@dataclass(frozen=True)
class MonthAmount:
    month: date
    amount: Decimal | None  # None: no figure (never refreshed)
    estimated: bool = False


@dataclass
class AccountSpend:
    account_id: str
    name: str
    months: list[MonthAmount] = field(default_factory=list)
    # The portal's record of the account (None: Cost Explorer knows it, the portal not).
    account: VendedAccount | None = None

    @property
    def month_to_date(self) -> Decimal | None:
        return self.months[-1].amount if self.months else None

    @property
    def total(self) -> Decimal:
        return sum((m.amount or Decimal(0) for m in self.months), Decimal(0))


@dataclass
class Spend:
    """What some accounts spent in the months shown, each and together."""

    months: list[date]
    accounts: list[AccountSpend]
    currency: str
    freshness: CostFreshness

    @property
    def has_figures(self) -> bool:
        return self.freshness.last_success is not None

    @property
    def totals(self) -> list[MonthAmount]:
        return [
            MonthAmount(
                month=month,
                amount=sum((a.months[i].amount or Decimal(0) for a in self.accounts), Decimal(0))
                if self.has_figures
                else None,
                estimated=any(a.months[i].estimated for a in self.accounts),
            )
            for i, month in enumerate(self.months)
        ]


def _figures(account_ids: Iterable[str], months: list[date]) -> QuerySet[AccountMonthlyCost]:
    return AccountMonthlyCost.objects.filter(
        account_id__in=list(account_ids), month__gte=months[0], month__lte=months[-1]
    )


def spend_of_accounts(accounts: Iterable[VendedAccount], *, today: date | None = None) -> Spend:
    """The months shown for each account (with an AWS id), in one query. A month with no
    figure after a refresh is 0 (Cost Explorer reports no spend); before any refresh,
    None (unknown)."""
    months = cost_months(today=today or timezone.now().date())
    freshness = cost_freshness()
    known = [a for a in accounts if a.account_id]
    by_key: dict[tuple[str, date], AccountMonthlyCost] = {
        (f.account_id, f.month): f for f in _figures((a.account_id or "" for a in known), months)
    }
    zero = Decimal(0) if freshness.last_success is not None else None
    currencies: dict[str, int] = defaultdict(int)
    rows = []
    for account in known:
        spend = AccountSpend(
            account_id=account.account_id or "", name=account.name, account=account
        )
        for month in months:
            figure = by_key.get((spend.account_id, month))
            if figure is not None:
                currencies[figure.currency] += 1
            spend.months.append(
                MonthAmount(month, figure.amount, figure.estimated)
                if figure is not None
                else MonthAmount(month, zero)
            )
        rows.append(spend)
    currency = max(currencies, key=currencies.__getitem__) if currencies else "USD"
    return Spend(months=months, accounts=rows, currency=currency, freshness=freshness)


def team_get_for(*, user: User, slug: str) -> Team | None:
    """The team `slug`, if `user` may see it (its leads, approvers, admins)."""
    return Team.objects.visible_to(user).filter(slug=slug).first()


def team_accounts(team: Team) -> QuerySet[VendedAccount]:
    """The team's accounts that exist in AWS (by request, or imported and assigned)."""
    return (
        VendedAccount.objects.filter(Q(request__team=team) | Q(team=team))
        .filter(is_active=True, account_id__isnull=False)
        .order_by("name", "id")
    )


def month_to_date_by_account(account_ids: Iterable[str], *, today: date) -> dict[str, Decimal]:
    """Each account's spend this month so far (one query; absent: no figure)."""
    first = today.replace(day=1)
    return dict(
        AccountMonthlyCost.objects.filter(
            account_id__in=list(account_ids), month=first
        ).values_list("account_id", "amount")
    )


CSV_HEADER = ("month", "account_id", "account_name", "amount", "currency")
# A cell starting with one of these is a formula to a spreadsheet: quoted with a leading
# apostrophe, an account name never runs as one (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def spend_csv_rows(spend: Spend) -> list[tuple[str, str, str, str, str]]:
    """The rows of a spend export: month, account id, name, amount, currency; one per
    account and month shown (an empty amount: no figure yet)."""
    return [
        (
            f"{m.month:%Y-%m}",
            a.account_id,
            _cell(a.name),
            "" if m.amount is None else f"{m.amount:.2f}",
            spend.currency,
        )
        for a in spend.accounts
        for m in a.months
    ]


def spend_csv(spend: Spend) -> str:
    """The export as CSV text (RFC 4180: quoted where needed, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows(spend_csv_rows(spend))
    return out.getvalue()
