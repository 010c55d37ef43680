"""E-mail notifications, sent by a Celery task after the transaction commits.

A page never waits for SMTP: the service only enqueues; the task sends (and retries a
failing mail server a bounded number of times).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from vending.choices import RequestStatus
from vending.models import AccountRequest, VendedAccount
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP

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


def _approvers(exclude: set[int]) -> list[User]:
    return list(
        User.objects.filter(
            Q(groups__name__in=[APPROVERS_GROUP, ADMINS_GROUP]) | Q(is_superuser=True),
            is_active=True,
        )
        .exclude(pk__in=exclude)
        .prefetch_related("groups")
        .distinct()
    )


def notify_approval_needed(request: AccountRequest) -> None:
    """Approvers (not the requester, not who already approved) when a request waits."""
    done = set(request.approvals.values_list("approver_id", flat=True)) | {request.requester_id}
    missing = request.approvals_required - request.approvals.count()
    _enqueue(
        _who_may_see(_approvers(done), request),
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
    _enqueue(
        _who_may_see([account.request.requester], account.request),
        "account_failed",
        {"account": account, "request": account.request},
    )
