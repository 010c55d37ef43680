"""The account list's rows: AccountLiveSerializer's output, built from a few columns.

The list serves pages of up to 500 accounts. Building a model instance per row and
running DRF's per-field machinery over it costs several times the query itself; these
rows are read with `.values(*ACCOUNT_ROW_FIELDS)` and become one dict each. The
schema keeps describing AccountLiveSerializer (the account's own endpoint still renders
it), and tests/api/test_accounts.py checks that both say the same, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from vending.api.access_serializers import access_fields
from vending.api.account_live import SEEN
from vending.api.metadata_serializers import budget_of
from vending.selectors.access import AccountAccessView, access_for
from vending.selectors.account_progress import PROGRESS_ROW_FIELDS, account_progress_of_row
from vending.selectors.accounts import account_live_state

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
    "aws_created_at",
    "live_ou_path",
    "live_seen_at",
    "missing_in_aws_since",
    "handshake_id",
    "handshake_state",
    "handshake_expires_at",
    "invite_expected_at",
    "close_expected_on",
    "expires_on",
    "owner__username",
    "cost_centre",
    "tags",
    "contacts",
    "contacts_status",
    "contacts_error",
    "budget_amount",
    "budget_status",
    "budget_error",
    *(f for f in PROGRESS_ROW_FIELDS if f not in ("status", "account_id")),
)


def account_row(
    row: Mapping[str, Any], zone: tzinfo, now: datetime, access: AccountAccessView | None = None
) -> dict[str, Any]:
    """Every value is a stored column passed through, except the two AccountLiveSerializer's
    field types change: a blank failure reason is null, and dates are ISO 8601 in the
    current time zone, UTC written "Z" (DRF's DateTimeField); the progress, read as the
    account's page reads it (`account_progress_of_row`); and where the drift scan last
    saw the account (`account_live_state`)."""
    state = account_live_state(
        status=row["status"],
        target_ou_path=row["target_ou_path"],
        completed_at=row["completed_at"],
        live_ou_path=row["live_ou_path"],
        live_seen_at=row["live_seen_at"],
        missing_in_aws_since=row["missing_in_aws_since"],
    )
    progress = account_progress_of_row(row, now=now)
    error = progress.last_error
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
        "completed_at": _iso_or_none(row["completed_at"], zone),
        "aws_created_at": _iso_or_none(row["aws_created_at"], zone),
        "live_state": state.value,
        "live_ou_path": row["live_ou_path"] if state in SEEN else None,
        "live_seen_at": _iso_or_none(row["live_seen_at"], zone) if state in SEEN else None,
        "missing_in_aws_since": _iso_or_none(row["missing_in_aws_since"], zone),
        "expires_on": _date_or_none(row["expires_on"]),
        "handshake_id": row["handshake_id"],
        "handshake_state": row["handshake_state"],
        "handshake_expires_at": _iso_or_none(row["handshake_expires_at"], zone),
        "invite_expected_at": _iso_or_none(row["invite_expected_at"], zone),
        "close_expected_on": _date_or_none(row["close_expected_on"]),
        **_metadata(row),
        "attempts": progress.attempts,
        "last_error": None
        if error is None
        else {
            "code": error.code,
            "message": error.message,
            "transient": error.transient,
            "at": _iso(error.at, zone),
        },
        "last_progress_at": _iso_or_none(progress.last_progress_at, zone),
        "stalled": progress.stalled,
        "stalled_reason": progress.stalled_reason,
        # Identity Center: read for the whole page at once (`access_for`) when listed.
        **access_fields(access or access_for([row["account_id"] or ""])[row["account_id"] or ""]),
    }


def _metadata(row: Mapping[str, Any]) -> dict[str, Any]:
    """Owner, cost centre, tags, contacts and budget, as AccountMetadataSerializer says."""
    return {
        "owner": row["owner__username"],
        "cost_centre": row["cost_centre"],
        "tags": row["tags"],
        "contacts": row["contacts"],
        "contacts_status": row["contacts_status"],
        "contacts_error": row["contacts_error"],
        "budget": budget_of(row["budget_amount"], row["budget_status"], row["budget_error"]),
    }


def _iso_or_none(value: datetime | None, zone: tzinfo) -> str | None:
    return None if value is None else _iso(value, zone)


def _iso(value: datetime, zone: tzinfo) -> str:
    # Stored times are UTC and so is the usual zone: then no conversion is needed (a
    # third of a page's time went to astimezone).
    if _is_utc(zone) and value.utcoffset() == _ZERO:
        text = value.isoformat()
    else:
        text = value.astimezone(zone).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


_ZERO = timedelta(0)


def _is_utc(zone: tzinfo) -> bool:
    return zone is UTC or getattr(zone, "key", None) == "UTC"


class AccountRowListSerializer(serializers.ListSerializer):
    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()  # once a page, not twice a row
        now = timezone.now()
        rows = list(data)
        access = access_for([row["account_id"] or "" for row in rows])
        return [account_row(row, zone, now, access[row["account_id"] or ""]) for row in rows]


class AccountRowSerializer(serializers.BaseSerializer):
    """An account as AccountLiveSerializer renders it, from a `.values(*ACCOUNT_ROW_FIELDS)`
    row (see `account_row`)."""

    class Meta:
        list_serializer_class = AccountRowListSerializer

    def to_representation(self, row: Any) -> dict[str, Any]:
        return account_row(row, timezone.get_current_timezone(), timezone.now())


def _date_or_none(value: Any) -> str | None:
    return None if value is None else value.isoformat()
