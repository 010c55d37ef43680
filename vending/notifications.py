"""E-mail notifications, through a transactional outbox.

A change that someone must hear of writes a `Notification` row in its own transaction:
the e-mail exists exactly when the change does, and a broker that is down loses
nothing. The `outbox_send` task (vending/services/outbox.py) sends it, kicked when the
transaction commits and every VENDING_OUTBOX_INTERVAL_SECONDS by beat, retries a
failing mail server with backoff until it takes the message, and first checks that
what the e-mail says still holds (`notification_obsolete_reason`): nobody is asked to
approve a request that no longer waits for them.

Each e-mail links to the page it talks about (VENDING_PORTAL_URL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Prefetch, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse

from vending.choices import AccountStatus, NotificationChannel, NotificationKind, RequestStatus
from vending.dispatch import enqueue_outbox_send
from vending.models import AccountRequest, Approval, Notification, VendedAccount
from vending.roles import team_viewers
from vending.selectors.requests import approvals_counted, eligible_approvers
from vending.webhooks import webhook_notifications_write


def portal_url(name: str, *args: object) -> str:
    """A page of the portal, as a link that works from a mail client."""
    return settings.VENDING_PORTAL_URL.rstrip("/") + reverse(name, args=args)


def _write(
    kind: NotificationKind,
    recipients: Iterable[str],
    *,
    request: AccountRequest,
    account: VendedAccount | None = None,
    state: dict[str, Any],
    context: dict[str, Any],
) -> Notification | None:
    """The outbox rows, in the caller's transaction: the e-mail (when someone may read
    it) and a webhook per subscribed endpoint; the send is kicked once it commits."""
    to = sorted({r for r in recipients if r})
    context = {
        "request": request,
        "url": portal_url("request_detail", request.pk),
        **context,
    }
    subject = render_to_string(f"emails/{kind}.subject.txt", context).strip()[:300]
    notification = None
    if to:
        notification = Notification.objects.create(
            kind=kind,
            request=request,
            account=account,
            state=state,
            recipients=to,
            subject=subject,
            body=render_to_string(f"emails/{kind}.txt", context),
        )
    hooks = webhook_notifications_write(
        kind=kind, text=subject, url=context["url"], request=request, account=account, state=state
    )
    if notification is not None or hooks:
        enqueue_outbox_send()
    return notification


def _who_may_see(users: Iterable[User], request: AccountRequest) -> list[str]:
    """The e-mails of those `users` who may open the request the mail talks about (the
    same visibility rule as its page), so nobody is told of what they cannot see. One
    query, however many they are."""
    with_email = [user for user in users if user.email]
    if not with_email:
        return []
    may = set(
        team_viewers(request.team_id)
        .filter(pk__in=[user.pk for user in with_email])
        .values_list("pk", flat=True)
    )
    return [user.email for user in with_email if user.pk in may]


def notify_approval_needed(request: AccountRequest) -> None:
    """When a request waits: the approvers who may approve it (not the requester, no
    lead of its team, not who already approved). Nobody is asked for what they may not
    give. Out of date once the request has had another approval or stopped waiting."""
    approvals = approvals_counted(request=request).count()
    approvers = eligible_approvers(request=request)
    _write(
        NotificationKind.APPROVAL_NEEDED,
        _who_may_see(approvers, request),
        request=request,
        state={"request_status": [RequestStatus.PENDING_APPROVAL], "approvals": approvals},
        context={
            "missing": request.approvals_required - approvals,
            "url": portal_url("approval_detail", request.pk),
        },
    )


# What the requester's e-mail about each status says must still hold when it is sent:
# "approved, being created" is out of date once the request completed or failed (their
# own e-mails say so); a rejection or a completion is final.
_REQUESTER_STATES: dict[RequestStatus, list[str]] = {
    RequestStatus.APPROVED: [RequestStatus.APPROVED, RequestStatus.PROVISIONING],
    RequestStatus.REJECTED: [RequestStatus.REJECTED],
    RequestStatus.COMPLETED: [RequestStatus.COMPLETED],
}


def notify_requester(request: AccountRequest, status: RequestStatus) -> None:
    """The requester, when their request is approved, rejected or completed."""
    if status == RequestStatus.APPROVED:
        # The e-mail names who approved: the approvals and their approvers in one read.
        prefetch_related_objects(
            [request], Prefetch("approvals", Approval.objects.select_related("approver"))
        )
    _write(
        NotificationKind(f"request_{status.value}"),
        _who_may_see([request.requester], request),
        request=request,
        state={"request_status": _REQUESTER_STATES[status]},
        context={},
    )


def notify_lease_ending(account: VendedAccount, *, days: int) -> None:
    """The leads of the account's team, `days` before its lease ends; out of date once
    the account is no longer ready (decommissioned, or ...)."""
    request = account.request
    if request is None:
        return
    _write(
        NotificationKind.LEASE_ENDING,
        _who_may_see(request.team.leads.all(), request),
        request=request,
        account=account,
        state={"account_status": [AccountStatus.READY]},
        context={
            "account": account,
            "days": days,
            "account_url": portal_url("account_detail", account.account_id),
        },
    )


def notify_account_failed(account: VendedAccount) -> None:
    """The requester; out of date once an admin has retried the account."""
    if account.request is None:
        return  # only accounts created for a request are provisioned, or fail
    _write(
        NotificationKind.ACCOUNT_FAILED,
        _who_may_see([account.request.requester], account.request),
        request=account.request,
        account=account,
        state={"account_status": [AccountStatus.FAILED]},
        context={"account": account},
    )


def notification_obsolete_reason(notification: Notification) -> str | None:
    """Why what `notification` says no longer holds (None: it does, send it). Reads the
    request and account it names as they are now, and a webhook's endpoint."""
    if notification.channel == NotificationChannel.WEBHOOK:
        endpoint = notification.endpoint
        if endpoint is None or not endpoint.enabled:
            return "Its webhook endpoint is disabled."
    state = notification.state if isinstance(notification.state, dict) else {}
    request = notification.request
    if request is not None and "request_status" in state:
        if request.status not in state["request_status"]:
            return f"Request #{request.pk} is {request.get_status_display().lower()} now."
        if "approvals" in state:
            approvals = approvals_counted(request=request).count()
            if approvals != state["approvals"]:
                return (
                    f"Request #{request.pk} has {approvals} approval(s) now, not "
                    f"{state['approvals']}: a newer e-mail asks who may still approve it."
                )
    account = notification.account
    if account is not None and account.status not in state.get("account_status", [account.status]):
        return f"Account {account.name} is {account.get_status_display().lower()} now."
    return None
