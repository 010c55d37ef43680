"""An account's access through IAM Identity Center: what the blueprint wants for it
(`access_wanted`), why the portal does not manage it (`access_notice`), and what the
account page and the API show (`account_access_read`, `access_rows_for`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F

from vending.access_models import AccessAssignment, AccountAccess
from vending.blueprint.current import current_blueprint
from vending.choices import AccessStatus, AccountStatus
from vending.models import VendedAccount

NOT_CONFIGURED = "Identity Center is not configured: access is not managed by the portal."
NOT_IN_BLUEPRINT = (
    "The blueprint maps no permission sets (no `access:` section): access is not managed "
    "by the portal."
)
# What a row shows of an assignment that is gone, or was never made.
SHOWN = tuple(s for s in AccessStatus.values if s != AccessStatus.REMOVED)


@dataclass(frozen=True)
class Grant:
    """A group given a permission set on an account."""

    group: str
    permission_set: str


@dataclass(frozen=True)
class AccessRow:
    group: str
    permission_set: str
    status: str
    status_label: str
    last_error: str
    last_error_at: datetime | None
    # Opens the account with this permission set from the AWS access portal ("": no
    # start URL configured, or not assigned).
    shortcut_url: str


@dataclass(frozen=True)
class AccountAccessView:
    notice: str
    rows: list[AccessRow]
    portal_url: str

    @property
    def has_failed(self) -> bool:
        return any(row.status == AccessStatus.FAILED for row in self.rows)


def identity_center_enabled() -> bool:
    return bool(settings.VENDING_IDENTITY_CENTER)


def access_portal_url() -> str:
    return str(settings.VENDING_SSO_START_URL or "")


def access_wanted(account: VendedAccount) -> list[Grant]:
    """The grants the blueprint wants on `account` now: its team's group with the
    permission sets of its class and environment while it is ready; none otherwise
    (being decommissioned, failed, without a team)."""
    access = current_blueprint().access
    team = account.owner_team
    if access is None or team is None or account.status != AccountStatus.READY:
        return []
    group = access.group_for(team_slug=team.slug, idp_group=team.idp_group)
    names = access.permission_sets_for(
        compliance_class=account.class_value or "", environment=account.environment
    )
    return [Grant(group=group, permission_set=name) for name in names]


def access_notice(account: VendedAccount) -> str:
    """Why the portal does not manage this account's access ("" when it does)."""
    return access_for([account.account_id or ""])[account.account_id or ""].notice


def access_for(aws_account_ids: Iterable[str]) -> dict[str, AccountAccessView]:
    """Who has access to these accounts (by AWS account id; removed assignments left
    out) and why the portal does not manage it, for a page of accounts in two queries."""
    ids = [i for i in aws_account_ids if i]
    general = _general_notice()
    notices: dict[str, str] = {}
    rows: dict[str, list[AccessRow]] = {}
    if not general and ids:
        stored = AccountAccess.objects.filter(account__account_id__in=ids).exclude(notice="")
        notices = {
            aws_id or "": notice
            for aws_id, notice in stored.values_list("account__account_id", "notice")
        }
        shown = AccessAssignment.objects.filter(account__account_id__in=ids, status__in=SHOWN)
        # The account's id only, not the account: a page of 500 accounts has more
        # assignments than accounts, and each account row is some sixty columns.
        shown = shown.annotate(aws_account_id=F("account__account_id"))
        for a in shown.order_by("group", "permission_set"):
            aws_id = a.aws_account_id or ""
            rows.setdefault(aws_id, []).append(_row(a, aws_id))
    portal = access_portal_url()
    return {
        aws_id: AccountAccessView(
            notice=general or notices.get(aws_id, ""),
            rows=rows.get(aws_id, []),
            portal_url=portal,
        )
        for aws_id in [*ids, ""]
    }


def account_access_read(account: VendedAccount) -> AccountAccessView:
    return access_for([account.account_id or ""])[account.account_id or ""]


def _general_notice() -> str:
    if not identity_center_enabled():
        return NOT_CONFIGURED
    if current_blueprint().access is None:
        return NOT_IN_BLUEPRINT
    return ""


def _row(a: AccessAssignment, aws_account_id: str) -> AccessRow:
    start = access_portal_url()
    shortcut = ""
    if start and aws_account_id and a.status == AccessStatus.ASSIGNED:
        query = urlencode({"account_id": aws_account_id, "role_name": a.permission_set})
        shortcut = f"{start.rstrip('/')}/#/console?{query}"
    return AccessRow(
        group=a.group,
        permission_set=a.permission_set,
        status=a.status,
        status_label=str(AccessStatus(a.status).label),
        last_error=a.last_error,
        last_error_at=a.last_error_at,
        shortcut_url=shortcut,
    )
