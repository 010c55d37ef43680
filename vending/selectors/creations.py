"""Reads of how account creations go in AWS: how long they typically take."""

from __future__ import annotations

from statistics import median

from django.db.models import F

from vending.models import VendedAccount


def creation_seconds_typical(*, samples: int) -> float | None:
    """The median of how long AWS took (CompletedTimestamp - RequestedTimestamp) for the
    last `samples` creations the portal saw succeed; None before the first."""
    seconds = [
        value
        for value in VendedAccount.objects.filter(create_seconds__isnull=False)
        .order_by(F("create_requested_at").desc(nulls_last=True), "-pk")
        .values_list("create_seconds", flat=True)[:samples]
        if value is not None
    ]
    return float(median(seconds)) if seconds else None
