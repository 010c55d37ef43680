"""The e-mail outbox: written with the change, sent later by the worker whatever the
broker did, retried until the mail server takes it, and never sent once out of date."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from celery.app.task import Task
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.metrics.conftest import Scraper, value
from vending import tasks
from vending.choices import NotificationKind, NotificationStatus, RequestStatus
from vending.models import Notification
from vending.services.outbox import outbox_send_due
from vending.services.requests import account_request_approve, account_request_create

pytestmark = pytest.mark.django_db(transaction=True)


def submit(users, team, cls="general", envs=("dev",)):
    return account_request_create(
        requester=users["lead"], team=team, compliance_class=cls,
        environments=list(envs), justification="Launch",
    )  # fmt: skip


@pytest.fixture
def broker_down(monkeypatch):
    """Every enqueue fails as with Redis unreachable (kombu's OperationalError)."""

    def unreachable(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", unreachable)


class FlakyBackend(EmailBackend):
    """The locmem backend behind a mail server that drops the first `failures` sends."""

    failures = 0

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_with_the_broker_down_submit_and_approve_commit_and_the_mail_goes_later(
    users, team, broker_down, mailoutbox
):
    request = submit(users, team)
    account_request_approve(request=request, approver=users["approver1"])
    request.refresh_from_db()
    assert request.status == RequestStatus.PROVISIONING  # committed, broker or not
    assert mailoutbox == []
    assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == 2
    # The worker's periodic run, once it runs:
    result = tasks.outbox_send.run()
    assert result["sent"] == 1 and result["obsolete"] == 1
    [approved] = mailoutbox
    assert approved.subject.endswith(f"Request #{request.pk} approved: accounts are being created")
    assert approved.to == ["lead@example.com"]
    assert not Notification.objects.filter(status=NotificationStatus.PENDING).exists()


def test_a_request_that_no_longer_needs_approval_is_not_announced(
    users, team, broker_down, mailoutbox
):
    request = submit(users, team, cls="hipaa", envs=("prod",))  # two approvals
    account_request_approve(request=request, approver=users["approver1"])
    account_request_approve(request=request, approver=users["approver2"])
    outbox_send_due()
    assert [m.subject for m in mailoutbox] == [
        f"[account vending] Request #{request.pk} approved: accounts are being created"
    ]
    dropped = Notification.objects.filter(kind=NotificationKind.APPROVAL_NEEDED)
    assert [(n.status, n.outcome) for n in dropped] == [
        (NotificationStatus.OBSOLETE, f"Request #{request.pk} is provisioning now."),
        (NotificationStatus.OBSOLETE, f"Request #{request.pk} is provisioning now."),
    ]


def test_after_an_approval_only_the_newer_request_for_approval_goes(
    users, team, broker_down, mailoutbox
):
    request = submit(users, team, cls="hipaa", envs=("prod",))
    account_request_approve(request=request, approver=users["approver1"])
    outbox_send_due()
    [mail_] = mailoutbox
    assert "needs your approval" in mail_.subject
    assert mail_.to == ["admin@example.com", "approver2@example.com"]  # not approver1
    first = Notification.objects.order_by("id").first()
    assert first.status == NotificationStatus.OBSOLETE and "1 approval(s) now" in first.outcome


def test_a_failing_mail_server_is_retried_with_backoff_until_it_takes_the_mail(
    users, team, broker_down, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 2
    submit(users, team)
    [pending] = Notification.objects.all()

    run = outbox_send_due()
    assert run.retried == [pending.pk] and mail.outbox == []
    pending.refresh_from_db()
    assert pending.status == NotificationStatus.PENDING and pending.attempts == 1
    assert "SMTPServerDisconnected" in pending.last_error
    first_wait = pending.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < first_wait <= timedelta(seconds=30)
    assert outbox_send_due().retried == []  # not due yet: nothing is tried

    later = pending.next_attempt_at + timedelta(seconds=1)
    assert outbox_send_due(now=later).retried == [pending.pk]
    pending.refresh_from_db()
    assert pending.attempts == 2
    assert pending.next_attempt_at - timezone.now() > timedelta(seconds=55)  # doubled

    assert outbox_send_due(now=pending.next_attempt_at).sent == [pending.pk]
    pending.refresh_from_db()
    assert pending.status == NotificationStatus.SENT and pending.attempts == 3
    assert len(mail.outbox) == 1


def test_a_claimed_notification_is_not_sent_twice_by_a_second_run(users, team, broker_down):
    submit(users, team)
    [pending] = Notification.objects.all()
    now = timezone.now()
    Notification.objects.filter(pk=pending.pk).update(claimed_until=now + timedelta(minutes=1))
    assert outbox_send_due(now=now).sent == []
    assert mail.outbox == []


def test_e_mails_link_to_the_page_they_talk_about(users, team, settings, broker_down):
    settings.VENDING_PORTAL_URL = "https://vending.example.com/"
    request = submit(users, team)
    account_request_approve(request=request, approver=users["approver1"])
    bodies = {n.kind: n.body for n in Notification.objects.all()}
    assert f"https://vending.example.com/approvals/{request.pk}/" in bodies["approval_needed"]
    assert f"https://vending.example.com/requests/{request.pk}/" in bodies["request_approved"]


def test_the_backlog_is_a_gauge(users, team, broker_down):
    submit(users, team)
    samples = Scraper().samples()
    assert value(samples, "vending_outbox_backlog") == 1
    assert value(samples, "vending_outbox_oldest_age_seconds") >= 0
    outbox_send_due()
    assert value(Scraper().samples(), "vending_outbox_backlog") == 0


def test_a_failure_retried_before_its_e_mail_went_is_not_announced(
    users, team, broker_down, moto_gateway, mailoutbox
):
    from vending.services.provisioning import provisioning_account_retry, provisioning_advance

    request = submit(users, team)
    account_request_approve(request=request, approver=users["approver1"])
    request.accounts.update(email="bad")
    account = request.accounts.get()
    provisioning_advance(account_id=account.pk, gateway=moto_gateway)
    provisioning_account_retry(account=account, actor=users["admin"])
    outbox_send_due()
    failed = Notification.objects.get(kind=NotificationKind.ACCOUNT_FAILED)
    assert failed.status == NotificationStatus.OBSOLETE
    assert failed.outcome == "Account checkout-dev is pending now."
    assert not any("could not be created" in m.subject for m in mailoutbox)
