"""An account's access through IAM Identity Center: what the blueprint wants for it
(`access_wanted`), why the portal does not manage it (`access_notice`), and what the
account page and the API show (`account_access_read`, `access_rows_for`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings

from vending.access_models import AccessAssignment, AccountAccess
from vending.blueprint.current import current_blueprint
from vending.choices import AccessStatus, AccountStatus
from vending.models import VendedAccount
from vending.sql_lists import any_of

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
    out) and why the portal does not manage it, for a page of accounts in two queries.

    A page lists up to 500 accounts with two or three assignments each: the assignments
    are read as the six columns a row shows (not as model instances), and the ids are
    one array parameter on PostgreSQL rather than 500 placeholders."""
    ids = [i for i in aws_account_ids if i]
    general = _general_notice()
    portal = access_portal_url()
    notices: dict[str, str] = {}
    rows: dict[str, list[AccessRow]] = {}
    if not general and ids:
        wanted = any_of(ids, "varchar")
        stored = AccountAccess.objects.filter(account__account_id__in=wanted).exclude(notice="")
        notices = {
            aws_id or "": notice
            for aws_id, notice in stored.values_list("account__account_id", "notice")
        }
        shown = AccessAssignment.objects.filter(account__account_id__in=wanted, status__in=SHOWN)
        start = portal.rstrip("/")
        labels = {status.value: str(status.label) for status in AccessStatus}
        for aws_id, group, permission_set, status, last_error, last_error_at in shown.order_by(
            "group", "permission_set"
        ).values_list(
            "account__account_id",
            "group",
            "permission_set",
            "status",
            "last_error",
            "last_error_at",
        ):
            rows.setdefault(aws_id or "", []).append(
                AccessRow(
                    group=group,
                    permission_set=permission_set,
                    status=status,
                    status_label=labels[status],
                    last_error=last_error,
                    last_error_at=last_error_at,
                    shortcut_url=_shortcut(start, aws_id or "", permission_set, status),
                )
            )
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


def _shortcut(start: str, aws_account_id: str, permission_set: str, status: str) -> str:
    """The access portal's link that opens the account with this permission set ("" with
    no start URL configured, or not assigned yet)."""
    if not (start and aws_account_id and status == AccessStatus.ASSIGNED):
        return ""
    query = urlencode({"account_id": aws_account_id, "role_name": permission_set})
    return f"{start}/#/console?{query}"
