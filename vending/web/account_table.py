"""The accounts list's table rows, written directly from the columns the table shows.

A page of the list is rendered on every filter change. Through the template language
each row costs some 30 variable lookups, two `get_..._display` calls and a related
object per row: more than the page's queries. The rows are read as tuples
(`TABLE_COLUMNS`) and each becomes one string, every value escaped.

Where the last drift scan saw a ready account is read from the same tuple: one moved
by hand shows its live OU (the target below it, "expected ...") and a Drift badge, one
AWS does not have shows Missing in AWS, as `vending/accounts/_status.html` does on the
account's page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from vending.choices import AccountLiveState, AccountOrigin, AccountStatus, ComplianceClass
from vending.selectors.accounts import account_live_state
from vending.web.pages import UrlAround

# The columns a row shows, in the order `account_rows_html` reads them.
TABLE_COLUMNS = (
    "name",
    "email",
    "account_id",
    "request__team__slug",
    "request__compliance_class",
    "environment",
    "target_ou_path",
    "status",
    "failure_reason",
    "request_id",
    # An account without a request (imported): its assigned team, its OU's class.
    "origin",
    "team__slug",
    "compliance_class",
    # Where the last drift scan saw it (`account_live_state`, with status and target OU).
    "completed_at",
    "live_ou_path",
    "live_seen_at",
    "missing_in_aws_since",
    # Whose it is and what it is charged to (vending/account_metadata_columns.py).
    "owner__username",
    "cost_centre",
)

_CLASS_LABELS = dict(ComplianceClass.choices)
_STATUS_LABELS = dict(AccountStatus.choices)
_ORIGIN_LABELS = dict(AccountOrigin.choices)


def account_rows_html(
    rows: Iterable[Any], *, account_url: UrlAround, request_url: UrlAround
) -> SafeString:
    """The table's rows for `rows` read with `.values_list(*TABLE_COLUMNS)` (values after
    those are not shown); every value is escaped (`html.escape`, quotes included)."""
    return mark_safe("".join(_row(row, account_url, request_url) for row in rows))  # noqa: S308


def _row(row: tuple[Any, ...], account_url: UrlAround, request_url: UrlAround) -> str:
    (name, email, account_id, team, cls, environment, ou_path, status, reason, request_id,
     origin, own_team, own_class, completed_at, live_ou_path, live_seen_at,
     missing_since, owner, cost_centre) = row[: len(TABLE_COLUMNS)]  # fmt: skip
    state = account_live_state(
        status=status,
        target_ou_path=ou_path,
        completed_at=completed_at,
        live_ou_path=live_ou_path,
        live_seen_at=live_seen_at,
        missing_in_aws_since=missing_since,
    )
    name = _e(name)
    cls = own_class or cls  # its own class once it changed class after its request
    if account_id:
        title = (
            f'<a href="{_e(account_url.before)}{_e(account_id)}{_e(account_url.after)}">{name}</a>'
        )
    else:
        title = name
    failure = ""
    if status == AccountStatus.FAILED and reason:
        reason = _e(reason)
        failure = f'<div class="small muted clamp" title="{reason}">{reason}</div>'
    if request_id is None:
        team_cell = _e(own_team) if own_team else '<span class="muted">unassigned</span>'
        cls = own_class
        request_cell = f'<span class="muted">{_e(_ORIGIN_LABELS.get(origin, origin))}</span>'
    else:
        team_cell = _e(team)
        href = f"{_e(request_url.before)}{int(request_id)}{_e(request_url.after)}"
        request_cell = f'<a href="{href}">#{int(request_id)}</a>'
    return (
        "      <tr>\n"
        f'        <td>{title}<div class="muted small">{_e(email)}</div></td>\n'
        f'        <td class="mono">{_e(account_id or "—")}</td>\n'
        f"        <td>{team_cell}{_ownership(owner, cost_centre)}</td>\n"
        f"        <td>{_e(_CLASS_LABELS.get(cls, cls) if cls else '—')}</td>\n"
        f"        <td>{_e(environment)}</td>\n"
        f'        <td class="mono small">{_ou_cell(state, ou_path, live_ou_path)}</td>\n'
        f"        <td>{_status_cell(state, status, live_ou_path)}{failure}</td>\n"
        f"        <td>{request_cell}</td>\n"
        "      </tr>\n"
    )


def _ownership(owner: str | None, cost_centre: str) -> str:
    """The account's owner and cost centre, under its team."""
    parts = [_e(p) for p in (owner, cost_centre) if p]
    return f'<div class="muted small">{" · ".join(parts)}</div>' if parts else ""


def _ou_cell(state: AccountLiveState, ou_path: str, live_ou_path: str) -> str:
    """The target OU; for an account moved by hand, where the last scan saw it first."""
    if state != AccountLiveState.MOVED:
        return _e(ou_path)
    return (
        f'<span class="drift-ou" title="As the last drift scan saw it">'
        f"{_e(live_ou_path or 'Root')}</span>"
        f'<div class="muted">expected {_e(ou_path)}</div>'
    )


def _status_cell(state: AccountLiveState, status: str, live_ou_path: str) -> str:
    """The status badge (`vending/accounts/_status.html` for one account), or Missing in
    AWS; a Drift badge beside it for an account moved by hand."""
    if state == AccountLiveState.MISSING:
        return (
            '<span class="badge badge-failed" title="The portal holds it; AWS does not have it">'
            "Missing in AWS</span>"
        )
    badge = (
        f'<span class="badge badge-{_e(status)}">{_e(_STATUS_LABELS.get(status, status))}</span>'
    )
    if state == AccountLiveState.MOVED:
        badge += (
            ' <span class="badge badge-drift" title="Moved outside the portal: the last drift '
            f'scan saw it in {_e(live_ou_path or "Root")}">Drift</span>'
        )
    return badge


def _e(value: Any) -> str:
    return escape(str(value), quote=True)
