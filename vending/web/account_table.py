"""The accounts list's table rows, written directly from the columns the table shows.

A page of the list is rendered on every filter change. Through the template language
each row costs some 30 variable lookups, two `get_..._display` calls and a related
object per row: more than the page's queries. The rows are read as tuples
(`TABLE_COLUMNS`) and each becomes one `format_html` call, which escapes every value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from vending.choices import AccountStatus, ComplianceClass
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
)

_CLASS_LABELS = dict(ComplianceClass.choices)
_STATUS_LABELS = dict(AccountStatus.choices)

_ROW = (
    "<tr>\n"
    "        <td>{}<div class=\"muted small\">{}</div></td>\n"
    "        <td class=\"mono\">{}</td>\n"
    "        <td>{}</td>\n"
    "        <td>{}</td>\n"
    "        <td>{}</td>\n"
    "        <td class=\"mono small\">{}</td>\n"
    "        <td><span class=\"badge badge-{}\">{}</span>{}</td>\n"
    "        <td><a href=\"{}{}{}\">#{}</a></td>\n"
    "      </tr>\n"
)


def account_rows_html(
    rows: Iterable[tuple[Any, ...]], *, account_url: UrlAround, request_url: UrlAround
) -> SafeString:
    """The table's rows for `rows` read with `.values_list(*TABLE_COLUMNS)`."""
    return format_html_join(
        "    ", _ROW, (_cells(row, account_url, request_url) for row in rows)
    )


def _cells(row: tuple[Any, ...], account_url: UrlAround, request_url: UrlAround) -> tuple[Any, ...]:
    name, email, account_id, team, cls, environment, ou_path, status, reason, request_id = row
    if account_id:
        title = format_html(
            '<a href="{}{}{}">{}</a>', account_url.before, account_id, account_url.after, name
        )
    else:
        title = name
    failure = ""
    if status == AccountStatus.FAILED and reason:
        failure = format_html(
            '<div class="small muted clamp" title="{}">{}</div>', reason, reason
        )
    return (
        title,
        email,
        account_id or "—",
        team,
        _CLASS_LABELS.get(cls, cls),
        environment,
        ou_path,
        status,
        _STATUS_LABELS.get(status, status),
        failure,
        request_url.before,
        request_id,
        request_url.after,
        request_id,
    )
