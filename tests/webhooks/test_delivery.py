"""Webhooks through the outbox: signed as documented, retried while the receiver is
down or answers an error, given up after the limit, never sent once out of date."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.webhooks.independent import derived_secret, verify
from vending.choices import NotificationChannel, NotificationStatus, RequestStatus
from vending.models import Notification, WebhookAttempt
from vending.services.outbox import outbox_send_due
from vending.services.requests import account_request_create, account_request_reject
from vending.services.webhooks import webhook_endpoint_rotate_secret, webhook_endpoint_set_enabled

pytestmark = pytest.mark.django_db


def submit(users, team, env="dev"):  # type: ignore[no-untyped-def]
    return account_request_create(
        requester=users["lead"], team=team, compliance_class="general",
        environments=[env], justification="Launch",
    )  # fmt: skip


def hooks() -> list[Notification]:
    return list(Notification.objects.filter(channel=NotificationChannel.WEBHOOK))


def later(minutes: int = 60):  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(minutes=minutes)


def test_a_request_waiting_for_approval_is_posted_signed(users, team, receiver, endpoint_for):
    made = endpoint_for(receiver.url)
    request = submit(users, team)
    assert outbox_send_due().sent  # the e-mail and the webhook
    (got,) = receiver.received
    assert got.path == "/hooks/vending" and got.headers["content-type"] == "application/json"
    assert got.headers["x-vending-event"] == "approval_needed"
    # The independent receiver, from the docs: the secret derived from the master key.
    secret = derived_secret(settings.SECRET_KEY, made.endpoint.pk, 1)
    assert secret == made.secret
    assert verify(secret, got.headers, got.body)
    assert not verify(secret, got.headers, got.body + b" ")  # the exact bytes count
    assert not verify(
        derived_secret(settings.SECRET_KEY, made.endpoint.pk, 2), got.headers, got.body
    )
    document = json.loads(got.body)
    assert document["event"] == "approval_needed"
    assert document["request"]["id"] == request.pk and document["request"]["team"] == team.slug
    assert f"#{request.pk}" in document["text"] and document["url"].endswith(f"/{request.pk}/")
    (hook,) = hooks()
    assert hook.status == NotificationStatus.SENT and hook.attempts == 1


def test_a_replayed_old_delivery_fails_verification(users, team, receiver, endpoint_for):
    made = endpoint_for(receiver.url)
    submit(users, team)
    outbox_send_due()
    (got,) = receiver.received
    old = {
        **got.headers,
        "x-vending-timestamp": str(int(got.headers["x-vending-timestamp"]) - 3600),
    }
    assert not verify(made.secret, old, got.body)  # the timestamp is in the signed bytes


def test_the_master_key_setting_is_used_when_set(users, team, receiver, endpoint_for, settings):
    settings.VENDING_WEBHOOK_KEY = "a-separate-webhook-master-key"
    made = endpoint_for(receiver.url)
    submit(users, team)
    outbox_send_due()
    (got,) = receiver.received
    assert verify(
        derived_secret("a-separate-webhook-master-key", made.endpoint.pk, 1), got.headers, got.body
    )


def test_rotation_signs_with_the_new_secret(users, team, receiver, endpoint_for):
    made = endpoint_for(receiver.url)
    rotated = webhook_endpoint_rotate_secret(actor=users["admin"], endpoint=made.endpoint)
    assert rotated.secret != made.secret and rotated.endpoint.secret_generation == 2
    submit(users, team)
    outbox_send_due()
    (got,) = receiver.received
    assert verify(rotated.secret, got.headers, got.body)
    assert not verify(made.secret, got.headers, got.body)


def test_a_receiver_that_was_down_gets_it_after_a_retry(users, team, receiver_down, endpoint_for):
    endpoint_for(receiver_down.url)
    submit(users, team)
    run = outbox_send_due()
    (hook,) = hooks()
    assert hook.pk in run.retried
    hook.refresh_from_db()
    assert hook.status == NotificationStatus.PENDING and hook.attempts == 1
    assert hook.next_attempt_at > timezone.now()
    (attempt,) = WebhookAttempt.objects.filter(notification=hook)
    assert attempt.status_code is None and "refused" in attempt.error.lower()
    assert outbox_send_due().retried == []  # not due yet: the backoff holds
    receiver_down.start()
    assert outbox_send_due(now=later()).sent == [hook.pk]
    assert len(receiver_down.received) == 1
    hook.refresh_from_db()
    assert hook.status == NotificationStatus.SENT and hook.attempts == 2


def test_an_error_answer_is_retried_and_given_up_after_the_limit(
    users, team, receiver, endpoint_for, settings
):
    settings.VENDING_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 503
    endpoint_for(receiver.url)
    submit(users, team)
    for minutes in (0, 60, 120):
        outbox_send_due(now=later(minutes))
    (hook,) = hooks()
    hook.refresh_from_db()
    assert hook.status == NotificationStatus.FAILED and hook.attempts == 3
    assert "Gave up after 3 tries: HTTP 503" in hook.outcome
    codes = list(
        WebhookAttempt.objects.filter(notification=hook).values_list("status_code", flat=True)
    )
    assert codes == [503, 503, 503] and len(receiver.received) == 3
    outbox_send_due(now=later(600))
    assert len(receiver.received) == 3  # never again


def test_an_event_no_longer_true_is_not_sent(users, team, receiver_down, endpoint_for):
    endpoint_for(receiver_down.url)
    request = submit(users, team)
    outbox_send_due()  # down: the approval_needed webhook waits
    account_request_reject(request=request, actor=users["approver1"], reason="No budget")
    receiver_down.start()
    outbox_send_due(now=later())
    by_kind = {h.kind: h for h in hooks()}
    assert by_kind["approval_needed"].status == NotificationStatus.OBSOLETE
    assert "rejected" in by_kind["approval_needed"].outcome.lower()
    # The rejection itself is news, and goes.
    assert by_kind["request_rejected"].status == NotificationStatus.SENT
    assert [json.loads(r.body)["event"] for r in receiver_down.received] == ["request_rejected"]
    assert request.__class__.objects.get(pk=request.pk).status == RequestStatus.REJECTED


def test_only_subscribed_events_are_sent(users, team, receiver, endpoint_for):
    endpoint_for(receiver.url, events=["request_completed"])
    submit(users, team)
    outbox_send_due()
    assert hooks() == [] and receiver.received == []


def test_a_disabled_endpoint_gets_nothing_more(users, team, receiver_down, endpoint_for):
    made = endpoint_for(receiver_down.url)
    submit(users, team)
    webhook_endpoint_set_enabled(actor=users["admin"], endpoint=made.endpoint, enabled=False)
    receiver_down.start()
    outbox_send_due(now=later())
    (hook,) = hooks()
    hook.refresh_from_db()
    assert hook.status == NotificationStatus.OBSOLETE and receiver_down.received == []
    submit(users, team, env="test")
    assert len(hooks()) == 1  # nothing new written for it


def test_a_link_local_destination_is_refused_at_send_time(users, team, endpoint_for, monkeypatch):
    """A host that resolves to the metadata address (DNS changed after it was saved)."""
    made = endpoint_for("http://hooks.example.test/x")
    monkeypatch.setattr(
        "vending.webhook_delivery.socket.getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", ("169.254.169.254", 80))],
    )
    submit(users, team)
    outbox_send_due()
    (hook,) = hooks()
    hook.refresh_from_db()
    assert hook.status == NotificationStatus.FAILED and "link-local" in hook.outcome
    assert made.endpoint.pk == hook.endpoint_id
