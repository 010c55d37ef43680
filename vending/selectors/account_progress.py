"""How an account's provisioning goes: its failed tries, last error, last progress, and
whether it is stalled (no progress for longer than VENDING_STALLED_AFTER_SECONDS).

The request page, the account page and the API read it from the account's own columns
(written where the provisioning services handle errors and make progress), so it costs
no query beyond the account's row and its request's.

An account is **stalled** when its request is provisioning, the account is not finished,
and nothing moved it on for longer than the setting: neither a status change, nor
CreateAccount accepted, nor a status read answered. An account waiting for a creation
slot without an error is queued, not stalled (AWS allows 5 creations at once; the
accounts holding them are the ones to look at).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.timesince import timesince

from vending.choices import ACCOUNT_IN_FLIGHT, AccountStatus, RequestStatus
from vending.models import VendedAccount

# The columns `account_progress_of_row` reads (the account list reads rows, not models).
PROGRESS_ROW_FIELDS = (
    "status",
    "attempts",
    "last_error_code",
    "last_error_message",
    "last_error_transient",
    "last_error_at",
    "last_progress_at",
    "create_request_id",
    "create_requested_at",
    "account_id",
    "request__status",
    "request__updated_at",
)


@dataclass(frozen=True)
class AccountError:
    code: str
    message: str
    # True: AWS (or the network) may heal by itself and the portal tries again; False: a
    # person has to act; None: not known (an unexpected error).
    transient: bool | None
    at: datetime


@dataclass(frozen=True)
class AccountProgress:
    attempts: int
    last_error: AccountError | None
    last_progress_at: datetime | None
    # Why the account counts as stalled, in words; None while it is not.
    stalled_reason: str | None

    @property
    def stalled(self) -> bool:
        return self.stalled_reason is not None


def account_progress(account: VendedAccount, *, now: datetime | None = None) -> AccountProgress:
    """`account` with its request (joined or known to the caller: no extra query)."""
    return account_progress_of_row(
        {
            **{f: getattr(account, f) for f in PROGRESS_ROW_FIELDS if "__" not in f},
            # An account without a request (imported) is never provisioned: never stalled.
            "request__status": account.request.status if account.request else None,
            "request__updated_at": account.request.updated_at if account.request else None,
        },
        now=now,
    )


def account_progress_of_row(
    row: Mapping[str, Any], *, now: datetime | None = None
) -> AccountProgress:
    """The same from a `.values(*PROGRESS_ROW_FIELDS)` row."""
    error = None
    if row["last_error_at"] is not None:
        error = AccountError(
            code=row["last_error_code"],
            message=row["last_error_message"],
            transient=row["last_error_transient"],
            at=row["last_error_at"],
        )
    return AccountProgress(
        attempts=row["attempts"],
        last_error=error,
        last_progress_at=row["last_progress_at"],
        stalled_reason=_stalled_reason(row, error, now or timezone.now()),
    )


def _stalled_reason(
    row: Mapping[str, Any], error: AccountError | None, now: datetime
) -> str | None:
    if row["request__status"] != RequestStatus.PROVISIONING or row["status"] not in (
        ACCOUNT_IN_FLIGHT
    ):
        return None
    # Provisioning (re)started with the request's last change: no older progress counts.
    since = max(d for d in (row["last_progress_at"], row["request__updated_at"]) if d is not None)
    if now - since <= timedelta(seconds=settings.VENDING_STALLED_AFTER_SECONDS):
        return None
    error_since = error is not None and error.at >= since
    if not error_since and _waiting_for_slot(row):
        return None
    quiet = f"No progress for {timesince(since, now)}"
    if error is not None and error_since:
        tries = row["attempts"]
        return (
            f"{quiet}; {tries} tr{'y' if tries == 1 else 'ies'} failed so far, the last "
            f"at {error.at.astimezone(UTC):%H:%M:%S} UTC: {error.message}"
        )
    return (
        f"{quiet} and no error recorded: no worker seems to be working on it. Check that "
        "the Celery workers and the broker are running."
    )


def _waiting_for_slot(row: Mapping[str, Any]) -> bool:
    return (
        row["status"] == AccountStatus.CREATING
        and not row["create_request_id"]
        and not row["account_id"]
        and row["create_requested_at"] is None
    )
