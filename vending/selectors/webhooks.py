"""Webhook endpoints and their delivery log: portal admins only (visible_to)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, Prefetch, Q, QuerySet

from vending.choices import NotificationStatus
from vending.models import Notification, WebhookAttempt, WebhookEndpoint

DELIVERIES_SHOWN = 50


def webhook_endpoint_list(*, user: User | AnonymousUser) -> QuerySet[WebhookEndpoint]:
    """With each endpoint's counts of deliveries waiting and failed, and its last one."""
    return WebhookEndpoint.objects.visible_to(user).annotate(
        waiting=Count("deliveries", filter=Q(deliveries__status=NotificationStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=NotificationStatus.FAILED)),
        last_delivery_at=Max("deliveries__created_at"),
    )


def webhook_endpoint_get(*, user: User | AnonymousUser, pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.visible_to(user).filter(pk=pk).first()


def webhook_deliveries(*, endpoint: WebhookEndpoint) -> list[Notification]:
    """Its latest deliveries, newest first, each with its attempts (newest first)."""
    return list(
        Notification.objects.filter(endpoint=endpoint)
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("webhook_attempts", queryset=WebhookAttempt.objects.order_by("-at", "-id"))
        )[:DELIVERIES_SHOWN]
    )
