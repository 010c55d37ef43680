"""E-mail notifications, sent by a Celery task after the transaction commits.

A page never waits for SMTP: the service only enqueues; the task sends (and retries a
failing mail server a bounded number of times).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.template.loader import render_to_string

from vending.choices import RequestStatus
from vending.models import AccountRequest, VendedAccount
from vending.selectors.requests import approvals_counted, eligible_approvers

logger = logging.getLogger(__name__)


def _enqueue(recipients: list[str], template: str, context: dict[str, object]) -> None:
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
    body = render_to_string(f"emails/{template}.txt", context)

    def send() -> None:
        from vending.tasks import send_email

        try:
            send_email.apply_async(args=(recipients, subject, body))
        except Exception:
            # A lost notification must not fail the action that caused it.
            logger.exception("Could not enqueue the e-mail '%s'", subject)

    transaction.on_commit(send)


def _who_may_see(users: Iterable[User], request: AccountRequest) -> list[str]:
    """The e-mails of those `users` who may open the request the mail talks about (the
    same visibility rule as its page), so nobody is told of what they cannot see."""
    return [
        user.email
        for user in users
        if user.email and AccountRequest.objects.visible_to(user).filter(pk=request.pk).exists()
    ]


def notify_approval_needed(request: AccountRequest) -> None:
    """When a request waits: the approvers who may approve it (not the requester, no
    lead of its team, not who already approved). Nobody is asked for what they may not
    give."""
    missing = request.approvals_required - approvals_counted(request=request).count()
    approvers = eligible_approvers(request=request).prefetch_related("groups")
    _enqueue(
        _who_may_see(approvers, request),
        "approval_needed",
        {"request": request, "missing": missing},
    )


def notify_requester(request: AccountRequest, status: RequestStatus) -> None:
    """The requester, when their request is approved, rejected or completed."""
    _enqueue(
        _who_may_see([request.requester], request),
        f"request_{status.value}",
        {"request": request},
    )


def notify_account_failed(account: VendedAccount) -> None:
    if account.request is None:
        return  # only accounts created for a request are provisioned, or fail
    _enqueue(
        _who_may_see([account.request.requester], account.request),
        "account_failed",
        {"account": account, "request": account.request},
    )
