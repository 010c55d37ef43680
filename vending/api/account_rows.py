"""The account list's rows: AccountSerializer's output, built from a few columns.

The list serves pages of up to 500 accounts. Building a model instance per row and
running DRF's per-field machinery over it costs several times the query itself; these
rows are read with `.values(*ACCOUNT_ROW_FIELDS)` and become one dict each. The
schema keeps describing AccountSerializer (the account's own endpoint still renders
it), and tests/api/test_accounts.py checks that both say the same, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from vending.selectors.account_progress import PROGRESS_ROW_FIELDS, account_progress_of_row

# The columns AccountRowSerializer reads.
ACCOUNT_ROW_FIELDS = (
    "account_id",
    "name",
    "email",
    "environment",
    "status",
    "failure_reason",
    "target_ou_path",
    "team_slug",
    "account_class",
    "origin",
    "request_id",
    "created_at",
    "completed_at",
    "handshake_id",
    "handshake_state",
    "handshake_expires_at",
    "invite_expected_at",
    "close_expected_on",
    "expires_on",
    *(f for f in PROGRESS_ROW_FIELDS if f not in ("status", "account_id")),
)


def account_row(row: Mapping[str, Any], zone: tzinfo, now: datetime) -> dict[str, Any]:
    """Every value is a stored column passed through, except the two AccountSerializer's
    field types change: a blank failure reason is null, and dates are ISO 8601 in the
    current time zone, UTC written "Z" (DRF's DateTimeField); and the progress, read as
    the account's page reads it (`account_progress_of_row`)."""
    completed_at = row["completed_at"]
    progress = account_progress_of_row(row, now=now)
    error = progress.last_error
    last_progress_at = progress.last_progress_at
    return {
        "account_id": row["account_id"],
        "name": row["name"],
        "email": row["email"],
        "environment": row["environment"],
        "status": row["status"],
        "failure_reason": row["failure_reason"] or None,
        "ou_path": row["target_ou_path"],
        "team": row["team_slug"],
        "compliance_class": row["account_class"] or None,
        "origin": row["origin"],
        "request": row["request_id"],
        "created_at": _iso(row["created_at"], zone),
        "completed_at": None if completed_at is None else _iso(completed_at, zone),
        "expires_on": None if row["expires_on"] is None else row["expires_on"].isoformat(),
        "handshake_id": row["handshake_id"],
        "handshake_state": row["handshake_state"],
        "handshake_expires_at": _iso_or_none(row["handshake_expires_at"], zone),
        "invite_expected_at": _iso_or_none(row["invite_expected_at"], zone),
        "close_expected_on": None
        if row["close_expected_on"] is None
        else row["close_expected_on"].isoformat(),
        "attempts": progress.attempts,
        "last_error": None
        if error is None
        else {
            "code": error.code,
            "message": error.message,
            "transient": error.transient,
            "at": _iso(error.at, zone),
        },
        "last_progress_at": None if last_progress_at is None else _iso(last_progress_at, zone),
        "stalled": progress.stalled,
        "stalled_reason": progress.stalled_reason,
    }


def _iso_or_none(value: datetime | None, zone: tzinfo) -> str | None:
    return None if value is None else _iso(value, zone)


def _iso(value: datetime, zone: tzinfo) -> str:
    text = value.astimezone(zone).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


class AccountRowListSerializer(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()  # once a page, not twice a row
        now = timezone.now()
        return [account_row(row, zone, now) for row in data]


class AccountRowSerializer(serializers.BaseSerializer):
    """An account as AccountSerializer renders it, from a `.values(*ACCOUNT_ROW_FIELDS)`
    row (see `account_row`)."""

    class Meta:
        list_serializer_class = AccountRowListSerializer

    def to_representation(self, row: Any) -> dict[str, Any]:
        return account_row(row, timezone.get_current_timezone(), timezone.now())
