"""Leases against moto in-process: the maximum per class and environment, reminders 7
days and 1 day before (outbox, once each), the portal's own decommission at expiry
(through the same path, audited as the portal's), and an approved extension."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from vending.choices import (
    AccountStatus,
    AuditAction,
    NotificationKind,
    RequestKind,
    RequestStatus,
)
from vending.errors import InvalidInput
from vending.models import AccountRequest, AuditEvent, Notification, VendedAccount
from vending.services.leases import leases_sweep
from vending.services.lifecycle_requests import account_change_request_create
from vending.services.requests import account_request_approve, account_request_create

from .conftest import approve_all

pytestmark = pytest.mark.django_db(transaction=True)


def leased(users, team, task_queue, *, days=30, env="dev") -> VendedAccount:
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=[env],
        justification="Sandbox",
        expires_on=timezone.localdate() + timedelta(days=days),
    )
    account_request_approve(request=request, approver=users["approver1"])
    task_queue.drain()
    account = request.accounts.get()
    assert account.status == AccountStatus.READY
    return account


def test_the_lease_maximum_per_class_and_environment_is_enforced(users, team, settings):
    settings.VENDING_LEASE_MAX_DAYS = {"general:prod": 10, "dev": 90}
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as refused:
        account_request_create(
            requester=users["lead"],
            team=team,
            compliance_class="general",
            environments=["dev", "prod"],
            justification="x",
            expires_on=today + timedelta(days=30),
        )
    assert refused.value.field_errors["expires_on"] == [
        f"At most 10 days for general prod accounts: {today + timedelta(days=10)} at the latest."
    ]
    assert not AccountRequest.objects.exists()
    with pytest.raises(InvalidInput):
        account_request_create(
            requester=users["lead"],
            team=team,
            compliance_class="general",
            environments=["dev"],
            justification="x",
            expires_on=today,
        )
    ok = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="x",
        expires_on=today + timedelta(days=90),
    )
    assert ok.accounts.get().expires_on == today + timedelta(days=90)


def test_reminders_7_and_1_days_before_once_each(users, team, moto_gateway, task_queue):
    account = leased(users, team, task_queue, days=7)
    today = timezone.localdate()
    reminders = Notification.objects.filter(kind=NotificationKind.LEASE_ENDING)
    assert leases_sweep(today=today).reminded == [account.pk]
    assert leases_sweep(today=today).reminded == []
    assert reminders.count() == 1
    assert reminders.get().recipients == ["lead@example.com"]
    assert "in 7 days" in reminders.get().body
    assert leases_sweep(today=today + timedelta(days=6)).reminded == [account.pk]
    assert reminders.count() == 2


def test_at_expiry_the_portal_decommissions_through_the_same_path(
    users, team, moto_gateway, task_queue
):
    account = leased(users, team, task_queue, days=3)
    day = timezone.localdate() + timedelta(days=3)
    task_queue.messages.clear()
    assert leases_sweep(today=day).decommissioned == [account.pk]
    assert leases_sweep(today=day).decommissioned == []  # twice: one request
    request = AccountRequest.objects.get(kind=RequestKind.DECOMMISSION)
    assert request.status == RequestStatus.PROVISIONING and request.target_account == account
    started = AuditEvent.objects.filter(
        request=request, action=AuditAction.REQUEST_STATUS_CHANGED, to_status="provisioning"
    ).get()
    assert started.actor is None and "lease ended" in started.message
    task_queue.drain(duplicate=True)
    account.refresh_from_db()
    request.refresh_from_db()
    # moto closes at once: suspended, closing, closed in one run.
    assert account.status == AccountStatus.CLOSED and account.target_ou_path == "SuspendedOU"
    assert request.status == RequestStatus.COMPLETED


def test_an_approved_extension_moves_the_end_and_a_pending_one_holds_it(
    users, team, moto_gateway, task_queue
):
    account = leased(users, team, task_queue, days=3)
    today = timezone.localdate()
    extend = account_change_request_create(
        requester=users["lead"],
        kind=RequestKind.EXTEND,
        account_id=account.account_id,
        justification="Two more weeks",
        expires_on=today + timedelta(days=17),
    )
    # Not approved yet on the day: the decommission waits for it.
    assert leases_sweep(today=today + timedelta(days=3)).waiting == [account.pk]
    approve_all(extend, users)
    task_queue.drain()
    extend.refresh_from_db()
    account.refresh_from_db()
    assert extend.status == RequestStatus.COMPLETED
    assert account.expires_on == today + timedelta(days=17)
    assert account.expiry_reminded_days == 0
    assert leases_sweep(today=today + timedelta(days=3)).decommissioned == []
    assert not AccountRequest.objects.filter(kind=RequestKind.DECOMMISSION).exists()


def test_extend_is_refused_for_an_account_without_a_lease_or_an_earlier_date(
    users, team, moto_gateway, task_queue
):
    account = leased(users, team, task_queue, days=10)
    with pytest.raises(InvalidInput) as refused:
        account_change_request_create(
            requester=users["lead"],
            kind=RequestKind.EXTEND,
            account_id=account.account_id,
            justification="x",
            expires_on=timezone.localdate() + timedelta(days=5),
        )
    assert "already runs until" in refused.value.field_errors["expires_on"][0]
    VendedAccount.objects.filter(pk=account.pk).update(expires_on=None)
    with pytest.raises(InvalidInput) as refused:
        account_change_request_create(
            requester=users["lead"],
            kind=RequestKind.EXTEND,
            account_id=account.account_id,
            justification="x",
            expires_on=timezone.localdate() + timedelta(days=50),
        )
    assert "no lease" in refused.value.field_errors["account_id"][0]
