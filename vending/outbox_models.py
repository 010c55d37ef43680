"""The e-mail outbox's record (vending/notifications.py writes it, vending/services/outbox.py
sends it). Registered with the app by vending/models.py, which imports it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from vending.choices import NotificationChannel, NotificationKind, NotificationStatus


class Notification(models.Model):
    """One e-mail of the transactional outbox (vending/notifications.py, services/outbox.py).

    Written in the transaction of the change it tells of, so it exists exactly when the
    change does, whatever the broker's state; sent by the `outbox_send` task, retried with
    backoff until the mail server takes it, and dropped as obsolete when the state it
    told of (`state`) has changed by then.
    """

    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    # An e-mail to `recipients`, or a webhook POST of `body` (JSON) to `endpoint`.
    channel = models.CharField(
        max_length=8, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL
    )
    endpoint = models.ForeignKey(
        "vending.WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    request = models.ForeignKey(
        "vending.AccountRequest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    account = models.ForeignKey(
        "vending.VendedAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What must still be true when it is sent, e.g. {"request_status": ["pending_approval"]}.
    state = models.JSONField(default=dict, blank=True)
    recipients = models.JSONField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=12, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Held by the one sender run working on it (a conditional UPDATE takes it).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Why it was dropped (obsolete) or refused (failed).
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"
