"""Reads of the e-mail outbox (vending/notifications.py): what waits to be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from vending.choices import NotificationStatus
from vending.models import Notification


@dataclass(frozen=True)
class OutboxBacklog:
    count: int
    oldest_since: datetime | None


def outbox_backlog() -> OutboxBacklog:
    """E-mails written and not sent yet (waiting for their first try or a retry)."""
    found = Notification.objects.filter(status=NotificationStatus.PENDING).aggregate(
        count=Count("id"), oldest=Min("created_at")
    )
    return OutboxBacklog(count=found["count"], oldest_since=found["oldest"])
