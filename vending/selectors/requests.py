"""Reads of account requests: the scoped list and lookups, filters, the approval queue,
where a request stands with its approvals, and its timeline.

Every read starts from `AccountRequest.objects.visible_to(user)`; none decides who may
do what (the services do), they only describe what is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from vending.audit import audit_event_summary
from vending.choices import REQUEST_TERMINAL, RequestStatus
from vending.models import AccountRequest, Approval, AuditEvent, Team, VendedAccount
from vending.roles import User, is_admin, is_approver
from vending.selectors.filters import filter_by


def account_request_list_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests `user` may see (approvers and admins all, leads their teams'), with what
    their pages and serializers render joined or prefetched."""
    return (
        AccountRequest.objects.visible_to(user)
        .select_related("team", "requester")
        .prefetch_related(
            Prefetch("accounts", queryset=VendedAccount.objects.order_by("id")),
            Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
        )
    )


def account_request_get_for(*, user: User, pk: int) -> AccountRequest | None:
    """The request `pk` if `user` may see it (else None: the caller answers 404)."""
    return account_request_list_for(user=user).filter(pk=pk).first()


def account_request_filter(
    qs: QuerySet[AccountRequest], *, user: User, filters: Mapping[str, Any]
) -> QuerySet[AccountRequest]:
    """Narrow a scoped list, newest first: `mine` (the user's teams and own requests),
    `team` (a slug), `status`."""
    if filters.get("mine") and isinstance(user, AuthUser):
        qs = qs.filter(Q(team__in=Team.objects.led_by(user)) | Q(requester=user))
    qs = filter_by(qs, filters, {"team": "team__slug", "status": "status"})
    return qs.order_by("-created_at", "-id")


def open_requests_of(*, user: User) -> QuerySet[AccountRequest]:
    """The requests `user` submitted that are still on their way (not settled)."""
    if not isinstance(user, AuthUser):
        return AccountRequest.objects.none()
    return AccountRequest.objects.visible_to(user).filter(
        requester=user,
        status__in=[
            RequestStatus.PENDING_APPROVAL,
            RequestStatus.APPROVED,
            RequestStatus.PROVISIONING,
        ],
    )


def request_polls(request: AccountRequest) -> str:
    """How often the request page asks for progress ("" = never again).

    Moving requests every 2 s. A failed request moves again only when an admin retries
    an account, so its page keeps watching, slowly, for that to happen.
    """
    if request.status in REQUEST_TERMINAL:
        return ""
    return "15s" if request.status == RequestStatus.FAILED else "2s"


def request_may_cancel(*, user: User, request: AccountRequest) -> bool:
    return (
        request.status == RequestStatus.PENDING_APPROVAL
        and user.is_authenticated
        and (request.requester_id == user.pk or is_admin(user))
    )


# -- approvals ----------------------------------------------------------------------------


def approval_queue_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests waiting for `user`'s approval, oldest first: pending, not their own, and
    not already approved by them. Empty for anyone who is not an approver."""
    if not is_approver(user):
        return AccountRequest.objects.none()
    return (
        AccountRequest.objects.visible_to(user)
        .filter(status=RequestStatus.PENDING_APPROVAL)
        .exclude(requester_id=user.pk)
        .exclude(approvals__approver_id=user.pk)
        .select_related("team", "requester")
        .order_by("created_at", "id")
    )


def approval_queue_filter(
    qs: QuerySet[AccountRequest], *, filters: Mapping[str, Any]
) -> QuerySet[AccountRequest]:
    """Narrow the approval queue by team, class and environment; oldest first.

    Environments are matched through the request's accounts (one per environment), which
    works on every database, unlike a lookup inside the JSON list.
    """
    qs = filter_by(qs, filters, {"team": "team__slug", "compliance_class": "compliance_class"})
    if filters.get("environment"):
        qs = qs.filter(
            Exists(
                VendedAccount.objects.filter(
                    request=OuterRef("pk"), environment=filters["environment"]
                )
            )
        )
    return qs.annotate(approval_count=Count("approvals", distinct=True)).order_by(
        "created_at", "id"
    )


@dataclass(frozen=True)
class ApprovalState:
    """Where a request stands with its approvals, seen by one person."""

    approvals: list[Approval]
    required: int
    missing: int
    open: bool  # still takes approvals
    is_requester: bool
    approved_by_user: Approval | None
    user_is_approver: bool

    @property
    def user_may_decide(self) -> bool:
        """Approve/reject buttons apply to this person (the service still checks)."""
        return (
            self.open
            and self.user_is_approver
            and not self.is_requester
            and self.approved_by_user is None
        )

    @property
    def user_may_reject(self) -> bool:
        # An approver who already approved may still reject (e.g. new information).
        return self.open and self.user_is_approver and not self.is_requester


def approval_state_for(*, user: User, request: AccountRequest) -> ApprovalState:
    """Uses the approvals prefetched by `account_request_list_for`: no extra query."""
    approvals = list(request.approvals.all())
    mine = next((a for a in approvals if user.is_authenticated and a.approver_id == user.pk), None)
    return ApprovalState(
        approvals=approvals,
        required=request.approvals_required,
        missing=max(0, request.approvals_required - len(approvals)),
        open=request.status == RequestStatus.PENDING_APPROVAL,
        is_requester=user.is_authenticated and request.requester_id == user.pk,
        approved_by_user=mine,
        user_is_approver=is_approver(user),
    )


# -- the timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str  # a username, or "the portal" for workers and the sweeper
    action: str
    summary: str
    detail: str  # free text someone wrote (comment, reason) or the portal's message


def request_timeline(*, request: AccountRequest) -> list[TimelineEntry]:
    """Every audit event of the request, oldest first, in words."""
    events = (
        AuditEvent.objects.filter(request=request)
        .select_related("actor", "account")
        .order_by("created_at", "id")
    )
    return [
        TimelineEntry(
            at=event.created_at,
            actor=event.actor.get_username() if event.actor is not None else "the portal",
            action=event.action,
            summary=audit_event_summary(event),
            detail=event.message,
        )
        for event in events
    ]
