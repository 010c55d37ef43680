"""Sending the e-mails of the transactional outbox (vending/notifications.py writes them).

Each run takes the notifications that are due, one at a time under a claim (a
conditional UPDATE, so two runs, the kicked one and beat's, never send the same row
at once), and for each:

- drops it as obsolete when what it says no longer holds (the reason is kept);
- else sends it; a mail server that cannot be reached or refuses for now (SMTP errors,
  network errors) is tried again after a backoff that doubles from
  VENDING_OUTBOX_RETRY_SECONDS up to VENDING_OUTBOX_RETRY_MAX_SECONDS, until it takes
  the message; a message the backend refuses as malformed is marked failed.

No transaction is open while the mail server is talked to. A worker that dies between
sending and recording it makes the row due again once its claim expires: an e-mail may
then go twice, never zero times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone

from vending.choices import NotificationChannel, NotificationStatus
from vending.models import Notification, WebhookAttempt
from vending.notifications import notification_obsolete_reason
from vending.webhook_delivery import webhook_post

logger = logging.getLogger(__name__)

# Longer than a send may take (EMAIL_TIMEOUT bounds the SMTP connection).
CLAIM_SECONDS = 300
# Rows one run looks at; the next run (kicked or periodic) takes the rest.
BATCH = 100
RETRYABLE = (SMTPException, OSError)


@dataclass
class OutboxRun:
    sent: list[int] = field(default_factory=list)
    obsolete: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def outbox_send_due(*, now: datetime | None = None) -> OutboxRun:
    """Send (or drop as obsolete) every notification that is due."""
    now = now or timezone.now()
    run = OutboxRun()
    due = Notification.objects.filter(
        status=NotificationStatus.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "id")
    for pk in list(due.values_list("pk", flat=True)[:BATCH]):
        if _claim(pk, now):
            _send_one(pk, run)
    return run


def _claim(pk: int, now: datetime) -> bool:
    return bool(
        Notification.objects.filter(pk=pk, status=NotificationStatus.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )


def _finish(pk: int, **fields: object) -> None:
    Notification.objects.filter(pk=pk).update(claimed_until=None, **fields)


def _send_one(pk: int, run: OutboxRun) -> None:
    notification = Notification.objects.select_related("request", "account", "endpoint").get(pk=pk)
    obsolete = notification_obsolete_reason(notification)
    if obsolete is not None:
        logger.info("Notification %s dropped: %s", pk, obsolete)
        _finish(pk, status=NotificationStatus.OBSOLETE, outcome=obsolete)
        run.obsolete.append(pk)
        return
    if notification.channel == NotificationChannel.WEBHOOK:
        _post_webhook(notification, run)
        return
    try:
        send_mail(notification.subject, notification.body, None, notification.recipients)
    except RETRYABLE as exc:
        wait = _backoff(notification.attempts)
        logger.warning("Notification %s not sent (%s); trying again in %d s", pk, exc, wait)
        _finish(
            pk,
            attempts=F("attempts") + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
        run.retried.append(pk)
        return
    except ValueError as exc:
        # A header Django refuses to send (BadHeaderError): no retry will help.
        logger.error("Notification %s refused: %s", pk, exc)
        _finish(pk, status=NotificationStatus.FAILED, attempts=F("attempts") + 1, outcome=str(exc))
        run.failed.append(pk)
        return
    _finish(pk, status=NotificationStatus.SENT, attempts=F("attempts") + 1, sent_at=timezone.now())
    run.sent.append(pk)


def _post_webhook(notification: Notification, run: OutboxRun) -> None:
    """One try, logged; a receiver that did not answer 2xx is tried again after the
    backoff, until VENDING_WEBHOOK_MAX_ATTEMPTS tries have failed."""
    pk = notification.pk
    delivery = webhook_post(notification)
    WebhookAttempt.objects.create(
        notification_id=pk,
        status_code=delivery.status_code,
        error=delivery.error,
        milliseconds=delivery.milliseconds,
    )
    attempts = notification.attempts + 1
    if delivery.ok:
        _finish(pk, status=NotificationStatus.SENT, attempts=attempts, sent_at=timezone.now())
        run.sent.append(pk)
    elif delivery.permanent or attempts >= settings.VENDING_WEBHOOK_MAX_ATTEMPTS:
        logger.error("Webhook %s not delivered after %d tries: %s", pk, attempts, delivery.error)
        outcome = f"Gave up after {attempts} tries: {delivery.error}"
        _finish(pk, status=NotificationStatus.FAILED, attempts=attempts, outcome=outcome)
        run.failed.append(pk)
    else:
        wait = _backoff(notification.attempts)
        logger.warning("Webhook %s not delivered (%s); again in %d s", pk, delivery.error, wait)
        _finish(
            pk,
            attempts=attempts,
            last_error=delivery.error,
            next_attempt_at=timezone.now() + timedelta(seconds=wait),
        )
        run.retried.append(pk)


def _backoff(attempts: int) -> int:
    first = settings.VENDING_OUTBOX_RETRY_SECONDS
    return int(min(first * 2 ** min(attempts, 20), settings.VENDING_OUTBOX_RETRY_MAX_SECONDS))


def outbox_purge(*, now: datetime | None = None) -> int:
    """Forget sent and dropped e-mails after VENDING_OUTBOX_KEEP_DAYS (the audit trail
    keeps the changes they told of)."""
    before = (now or timezone.now()) - timedelta(days=settings.VENDING_OUTBOX_KEEP_DAYS)
    deleted, _ = Notification.objects.filter(
        status__in=[NotificationStatus.SENT, NotificationStatus.OBSOLETE], created_at__lt=before
    ).delete()
    return deleted
