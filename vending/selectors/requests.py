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
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from vending.audit_reading import audit_event_summary
from vending.choices import REQUEST_TERMINAL, RequestStatus
from vending.models import AccountRequest, Approval, AuditEvent, Team, VendedAccount
from vending.roles import User, approval_refusal, approver_users, is_admin, is_approver
from vending.selectors.filters import filter_by


def account_request_list_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests `user` may see (approvers and admins all, leads their teams'), with what
    their pages and serializers render joined or prefetched."""
    return (
        AccountRequest.objects.visible_to(user)
        .select_related("team", "requester", "target_account")
        .prefetch_related(
            Prefetch("accounts", queryset=VendedAccount.objects.order_by("id")),
            Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
        )
        .annotate(eligible_approver_count=_eligible_approver_count())
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


def _deeper(ref: int | OuterRef) -> int | OuterRef:
    """`ref` seen from a subquery one level further down (a plain id stays as it is)."""
    return OuterRef(ref) if isinstance(ref, OuterRef) else ref


def _eligible_approvers(
    *, request_id: int | OuterRef, team_id: int | OuterRef, requester_id: int | OuterRef
) -> QuerySet[AuthUser]:
    """`roles.approval_refusal` as a query, for one request given by its ids (or, as
    OuterRefs, for each row of an outer query): approvers who did not submit it, lead
    none of its team and have not approved it yet."""
    leads_team = Team.leads.through.objects.filter(team_id=_deeper(team_id), user_id=OuterRef("pk"))
    approved = Approval.objects.filter(request_id=_deeper(request_id), approver_id=OuterRef("pk"))
    return (
        approver_users()
        .exclude(pk=requester_id)
        .exclude(Exists(leads_team))
        .exclude(Exists(approved))
    )


def eligible_approvers(*, request: AccountRequest) -> QuerySet[AuthUser]:
    """Who may still approve `request` (whoever else asks is refused by the service):
    the people to notify, and how many there are."""
    return _eligible_approvers(
        request_id=request.pk, team_id=request.team_id, requester_id=request.requester_id
    )


def _eligible_approver_count() -> Case:
    """For each request of a query: how many people may still approve it (0 once it no
    longer takes approvals). One correlated COUNT: a page of 500 is still one query."""
    count = (
        _eligible_approvers(
            request_id=OuterRef("pk"),
            team_id=OuterRef("team_id"),
            requester_id=OuterRef("requester_id"),
        )
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Case(
        When(
            status=RequestStatus.PENDING_APPROVAL,
            then=Subquery(count, output_field=IntegerField()),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def approvals_counted(*, request: AccountRequest) -> QuerySet[Approval]:
    """The approvals of `request` that count towards `approvals_required`: those of
    people who, now, neither submitted it nor lead its team. An approver made a lead of
    the team after approving no longer counts, so the approvals that start provisioning
    always come from outside the team."""
    return request.approvals.exclude(approver_id=request.requester_id).exclude(
        approver__led_teams=request.team_id
    )


def approval_queue_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests waiting for `user`'s approval, oldest first: pending, not their own, not
    of a team they lead, and not already approved by them. Empty for anyone who is not
    an approver."""
    if not is_approver(user):
        return AccountRequest.objects.none()
    return (
        AccountRequest.objects.visible_to(user)
        .filter(status=RequestStatus.PENDING_APPROVAL)
        .exclude(requester_id=user.pk)
        .exclude(team__in=Team.objects.led_by(user).values("pk"))
        .exclude(approvals__approver_id=user.pk)
        .select_related("team", "requester", "target_account")
        .order_by("created_at", "id")
    )


def approval_queue_withheld_count(*, user: User) -> int:
    """How many waiting requests of teams `user` leads the queue leaves out (someone who
    does not lead the team must approve them); 0 for anyone who is not an approver."""
    if not is_approver(user):
        return 0
    return (
        AccountRequest.objects.visible_to(user)
        .filter(
            status=RequestStatus.PENDING_APPROVAL,
            team__in=Team.objects.led_by(user).values("pk"),
        )
        .exclude(approvals__approver_id=user.pk)
        .count()
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
    # Why this person may not approve ("" if they may): e.g. they lead the team.
    refusal: str
    # Approvals given by someone who now leads the team: shown, but they do not count.
    not_counted: list[Approval]
    # How many people may still approve it (0 once it no longer takes approvals).
    eligible_approvers: int

    @property
    def user_may_decide(self) -> bool:
        """The approve button applies to this person (the service still checks)."""
        return self.open and not self.refusal and self.approved_by_user is None

    @property
    def user_may_reject(self) -> bool:
        # An approver who already approved may still reject (e.g. new information), and
        # so may a lead of the team: a rejection grants nothing (docs/security.md).
        return self.open and self.user_is_approver and not self.is_requester

    @property
    def stuck(self) -> bool:
        """Fewer people may still approve it than approvals are missing: it cannot be
        approved until an admin adds approvers from outside the team."""
        return self.open and self.eligible_approvers < self.missing


def approval_state_for(*, user: User, request: AccountRequest) -> ApprovalState:
    """Uses the approvals prefetched and the count annotated by `account_request_list_for`;
    asks the database only which approvals count (and, for an approver, whether they lead
    the team)."""
    approvals = list(request.approvals.all())
    mine = next((a for a in approvals if user.is_authenticated and a.approver_id == user.pk), None)
    counted = set(approvals_counted(request=request).values_list("pk", flat=True))
    is_open = request.status == RequestStatus.PENDING_APPROVAL
    eligible = getattr(request, "eligible_approver_count", None)
    if eligible is None:
        eligible = eligible_approvers(request=request).count() if is_open else 0
    return ApprovalState(
        approvals=approvals,
        required=request.approvals_required,
        missing=max(0, request.approvals_required - len(counted)),
        open=is_open,
        is_requester=user.is_authenticated and request.requester_id == user.pk,
        approved_by_user=mine,
        user_is_approver=is_approver(user),
        refusal=approval_refusal(user, request) if is_open else "",
        not_counted=[a for a in approvals if a.pk not in counted],
        eligible_approvers=eligible,
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
