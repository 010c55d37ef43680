"""The home page's read for a team lead: their teams' accounts (status, who has access,
spend this month against the budget, lease), the leases ending soon and the open
requests. A fixed number of queries however
many teams and accounts (tests/web/test_home_page.py counts them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from vending.choices import REQUEST_OPEN, AccountStatus, RequestStatus
from vending.models import AccountRequest, Team, VendedAccount
from vending.roles import User
from vending.selectors.access import AccountAccessView, access_for
from vending.selectors.costs import month_to_date_by_account

# A lease ending within this many days is listed as ending soon.
EXPIRING_WITHIN_DAYS = 14
# Accounts that are gone (or never were) are not the lead's to watch.
GONE = (AccountStatus.CANCELLED, AccountStatus.CLOSED, AccountStatus.REMOVED)


@dataclass(frozen=True)
class HomeAccount:
    account: VendedAccount
    team: Team
    month_to_date: Decimal | None  # None: no figure yet
    lease_days_left: int | None  # None: no lease
    access: AccountAccessView | None = None  # Identity Center (selectors/access.py)

    @property
    def expiring(self) -> bool:
        return self.lease_days_left is not None and self.lease_days_left <= EXPIRING_WITHIN_DAYS

    @property
    def sign_in_url(self) -> str:
        """Where the team signs in to the account: its first assigned permission set's
        shortcut in the AWS access portal, else the portal itself ("" when neither)."""
        if self.access is None or self.access.notice:
            return ""
        shortcuts = [row.shortcut_url for row in self.access.rows if row.shortcut_url]
        return shortcuts[0] if shortcuts else self.access.portal_url

    @property
    def budget_used_percent(self) -> int | None:
        """This month's spend so far as a share of the monthly budget (None: no budget)."""
        budget = self.account.budget_amount
        if not budget or self.month_to_date is None:
            return None
        return round(self.month_to_date * 100 / budget)


@dataclass
class LeadHome:
    teams: list[Team]
    accounts: list[HomeAccount] = field(default_factory=list)
    open_requests: list[AccountRequest] = field(default_factory=list)

    @property
    def expiring(self) -> list[HomeAccount]:
        return sorted(
            (a for a in self.accounts if a.expiring), key=lambda a: a.lease_days_left or 0
        )

    @property
    def month_to_date_total(self) -> Decimal:
        return sum((a.month_to_date or Decimal(0) for a in self.accounts), Decimal(0))


def lead_home(*, user: User, today: date) -> LeadHome | None:
    """What a lead watches, for the teams `user` leads; None when they lead none."""
    teams = {t.pk: t for t in Team.objects.led_by(user).order_by("slug")}
    if not teams:
        return None
    home = LeadHome(teams=list(teams.values()))
    accounts = list(
        VendedAccount.objects.filter(Q(request__team__in=list(teams)) | Q(team__in=list(teams)))
        .filter(is_active=True)
        .exclude(status__in=GONE)
        # Accounts of a request still waiting for approval are its, below.
        .exclude(status=AccountStatus.PENDING, request__status=RequestStatus.PENDING_APPROVAL)
        .select_related("request")
        .order_by("name", "id")
    )
    spent = month_to_date_by_account((a.account_id for a in accounts if a.account_id), today=today)
    access = access_for(a.account_id for a in accounts if a.account_id)
    for account in accounts:
        team_id = account.request.team_id if account.request else account.team_id
        home.accounts.append(
            HomeAccount(
                account=account,
                team=teams[team_id or 0],
                month_to_date=spent.get(account.account_id or ""),
                lease_days_left=(account.expires_on - today).days if account.expires_on else None,
                access=access.get(account.account_id or ""),
            )
        )
    home.open_requests = list(
        AccountRequest.objects.filter(team__in=list(teams), status__in=sorted(REQUEST_OPEN))
        .select_related("team", "target_account")
        .order_by("-created_at", "-id")[:20]
    )
    return home
