"""Reads of provisioning as a whole, for the metrics endpoint: accounts by status,
creation slots in use, and the accounts waiting for their CreateAccount call.

Each is one aggregate query, whatever the number of accounts; none is scoped to a user
(the endpoint that shows them is for operators' tooling, not for people).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from django.db.models import Count, F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest

from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.models import AuditEvent, CreationSlot, VendedAccount


def account_counts_by_status() -> dict[str, int]:
    """Accounts of live requests (not rejected or cancelled) by status; every status
    is present, 0 when none."""
    counts = dict.fromkeys(AccountStatus.values, 0)
    rows = (
        VendedAccount.objects.filter(is_active=True)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    for status, n in rows:
        counts[status] = n
    return counts


def creation_slots_in_use() -> int:
    """Creation slots held by an account (each is one CreateAccount in progress)."""
    return CreationSlot.objects.filter(holder__isnull=False).count()


@dataclass(frozen=True)
class WaitingAccounts:
    count: int
    # When the one waiting longest became ready to be created; None when none waits.
    oldest_since: datetime | None


def accounts_waiting_for_creation() -> WaitingAccounts:
    """Accounts of provisioning requests whose CreateAccount has not been answered yet
    (pending, or creating without a `car-` request id): waiting for a creation slot or a
    worker.

    An account waits from the moment its request started provisioning, or from the
    moment an admin retried it, whichever is later (its row may be days older: it was
    written when the request was submitted).
    """
    started = (
        AuditEvent.objects.filter(
            request=OuterRef("request"),
            action=AuditAction.REQUEST_STATUS_CHANGED,
            to_status=RequestStatus.PROVISIONING,
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    retried = (
        AuditEvent.objects.filter(
            account=OuterRef("pk"),
            action=AuditAction.ACCOUNT_STATUS_CHANGED,
            to_status=AccountStatus.PENDING,
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    result = (
        VendedAccount.objects.filter(
            request__status=RequestStatus.PROVISIONING,
            status__in=[AccountStatus.PENDING, AccountStatus.CREATING],
            create_request_id__isnull=True,
            account_id__isnull=True,
        )
        .annotate(
            waiting_since=Greatest(
                Coalesce(Subquery(started), F("created_at")),
                Coalesce(Subquery(retried), F("created_at")),
            )
        )
        .aggregate(count=Count("id"), oldest=Min("waiting_since"))
    )
    return WaitingAccounts(count=result["count"], oldest_since=result["oldest"])


def creation_seconds_typical(*, samples: int) -> float | None:
    """The median of how long AWS took (CompletedTimestamp - RequestedTimestamp) for the
    last `samples` creations the portal saw succeed; None before the first. Read off
    the `creation_history` index: its cost does not grow with the inventory."""
    seconds = [
        value
        for value in VendedAccount.objects.filter(
            create_seconds__isnull=False, create_requested_at__isnull=False
        )
        .order_by("-create_requested_at", "-pk")
        .values_list("create_seconds", flat=True)[:samples]
        if value is not None
    ]
    return float(median(seconds)) if seconds else None
