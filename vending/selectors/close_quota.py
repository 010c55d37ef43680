"""AWS's quota on closing accounts: at most 10% of the member accounts (at least 10, at
most 1000; settings) in a rolling 30 days. The portal counts its own closes (the
CloseAccount marker of each account), and its inventory of the organization's member
accounts (imported ones included), so a decommission past the quota waits in
SuspendedOU with the date it is expected to close instead of being refused by AWS."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from vending.choices import AccountStatus
from vending.models import VendedAccount

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class CloseQuota:
    limit: int
    # When each close still counted in the window was asked, oldest first.
    closes: list[datetime]

    @property
    def used(self) -> int:
        return len(self.closes)

    def expected_on(self, *, position: int = 0, now: datetime | None = None) -> date:
        """When the close `position` places behind the quota's free room may go ahead:
        today while there is room, else when enough closes have left the window."""
        now = now or timezone.now()
        behind = self.used - self.limit + position
        if behind < 0:
            return timezone.localdate(now)
        index = min(behind, len(self.closes) - 1)
        return timezone.localdate(self.closes[index] + WINDOW)


def close_quota_read(*, now: datetime | None = None) -> CloseQuota:
    now = now or timezone.now()
    members = (
        VendedAccount.objects.filter(account_id__isnull=False, is_active=True)
        .exclude(status__in=[AccountStatus.CLOSED, AccountStatus.REMOVED, AccountStatus.CANCELLED])
        .count()
    )
    share = math.floor(members * settings.VENDING_CLOSE_QUOTA_PERCENT / 100)
    limit = max(settings.VENDING_CLOSE_QUOTA_MIN, min(settings.VENDING_CLOSE_QUOTA_MAX, share))
    closes = list(
        VendedAccount.objects.filter(close_requested_at__gte=now - WINDOW)
        .order_by("close_requested_at")
        .values_list("close_requested_at", flat=True)
    )
    return CloseQuota(limit=limit, closes=[c for c in closes if c is not None])


def close_position(account: VendedAccount) -> int:
    """How many suspended accounts wait to close ahead of `account` (0: it is first)."""
    return (
        VendedAccount.objects.filter(
            status=AccountStatus.SUSPENDED, close_requested_at__isnull=True, pk__lt=account.pk
        )
        .exclude(origin="invited")
        .count()
    )
