"""Webhook endpoints and the log of their delivery attempts. Deliveries themselves are
`Notification` rows of the outbox (channel `webhook`), so they are written, retried and
dropped as obsolete exactly as e-mails are. Registered with the app by vending/models.py,
which imports it.

No secret is stored: an endpoint's signing secret is derived from the master key in the
environment, its id and its `secret_generation` (vending/webhooks.py); rotating it bumps
the generation.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from vending.roles import is_admin


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Portal admins see every endpoint; nobody else sees any."""
        return self if is_admin(user) else self.none()


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    # The NotificationKind values it is sent (at least one).
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    secret_generation = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"


class WebhookAttempt(models.Model):
    """One try at delivering a webhook notification: what the receiver answered."""

    notification = models.ForeignKey(
        "vending.Notification", on_delete=models.CASCADE, related_name="webhook_attempts"
    )
    at = models.DateTimeField(auto_now_add=True)
    # None when no answer came (refused connection, timeout, refused address).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    milliseconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.pk}: {self.status_code or self.error[:40]}"
