"""Fixtures of the account-lifecycle tests: a ready account to act on (moto in-process)."""

from __future__ import annotations

import pytest

from vending.models import VendedAccount
from vending.services.requests import account_request_approve, account_request_create


def ready_account(users, team, task_queue, *, env="dev", cls="general", pause=0.0) -> VendedAccount:
    """An account created and placed through the portal's own provisioning."""
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class=cls,
        environments=[env],
        justification="Launch",
    )
    outcome = account_request_approve(request=request, approver=users["approver1"])
    if not outcome.provisioning_started:
        account_request_approve(request=request, approver=users["approver2"])
    task_queue.drain(pause=pause)  # pause: honour countdowns (the emulator's creations)
    account = request.accounts.get()
    assert account.status == "ready", account.failure_reason
    return account


def approve_all(request, users) -> None:
    for approver in ("approver1", "approver2"):
        request.refresh_from_db()
        if request.status != "pending_approval":
            return
        account_request_approve(request=request, approver=users[approver])


@pytest.fixture
def account(users, team, moto_gateway, task_queue) -> VendedAccount:
    return ready_account(users, team, task_queue)


def next_look_due(request) -> None:
    """The portal's clock reaches the request's next look at its account (a chain's
    countdown, e.g. a sync period for an open handshake): deliveries run again."""
    from django.utils import timezone

    VendedAccount.objects.filter(pk=request.target_account_id).update(check_due_at=timezone.now())
