"""What an invitation request would do: which account, into which team, class and OU,
how many approvals, and when it can be sent (AWS allows 20 invitations a day; past
that they wait in the portal's queue). Refuses an account the organization already has
before any AWS call (the portal's inventory holds every member: created, invited and
imported)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from vending.blueprint.current import class_ou_path
from vending.choices import (
    AccountOrigin,
    AccountStatus,
    ComplianceClass,
    Environment,
    RequestKind,
    RequestStatus,
)
from vending.errors import DuplicateRequest, InvalidInput, PermissionDenied
from vending.models import Team, VendedAccount
from vending.roles import User, is_lead_of
from vending.selectors.request_plans import approvals_required_for

DAY = timedelta(days=1)
GONE = (AccountStatus.CANCELLED, AccountStatus.REMOVED, AccountStatus.CLOSED)
# An invitation asked for and not answered yet (its request is open).
ASKED = (AccountStatus.PENDING, AccountStatus.INVITED)


@dataclass(frozen=True)
class InvitePlan:
    team: str
    compliance_class: str
    environment: str
    account_id: str
    email: str
    ou_path: str
    approvals_required: int
    expected_send_at: datetime
    # AWS's daily quota: invitations sent in the last 24 hours, and the limit.
    invites_sent: int = 0
    invites_per_day: int = 20
    handshake_expiry_days: int = 15


def invites_sent_since(since: datetime) -> list[datetime]:
    """When each invitation of the rolling day was sent, oldest first."""
    return [
        at
        for at in VendedAccount.objects.filter(invite_requested_at__gte=since)
        .order_by("invite_requested_at")
        .values_list("invite_requested_at", flat=True)
        if at is not None
    ]


def invite_send_time(*, position: int = 0, now: datetime | None = None) -> datetime:
    """When an invitation `position` places behind the day's free room can be sent:
    now while fewer than VENDING_INVITES_PER_DAY went out in the last 24 hours, else a
    day after the invitation whose place it takes (the day's sends repeat a day later,
    so a queue longer than a day's room waits whole days more)."""
    now = now or timezone.now()
    sent = invites_sent_since(now - DAY)
    behind = len(sent) - settings.VENDING_INVITES_PER_DAY + position
    if behind < 0 or not sent:
        return now
    days, index = divmod(behind, len(sent))
    return sent[index] + DAY * (days + 1)


def invite_plan(
    *,
    user: User,
    team: Team,
    compliance_class: str,
    environment: str,
    account_id: str = "",
    email: str = "",
) -> InvitePlan:
    if not is_lead_of(user, team):
        raise PermissionDenied(f"Only leads of team '{team.slug}' can invite accounts for it.")
    errors: dict[str, list[str]] = {}
    if compliance_class not in ComplianceClass.values:
        errors["compliance_class"] = [f"'{compliance_class}' is not a valid class."]
    if environment not in Environment.values:
        errors["environment"] = [f"'{environment}' is not an environment."]
    if bool(account_id) == bool(email):
        errors["account_id"] = ["Give the account's id or its root e-mail (one of them)."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(f"The invitation cannot be made: {first}", field_errors=errors)
    known = (
        VendedAccount.objects.filter(is_active=True)
        .exclude(status__in=GONE)
        .filter(Q(account_id=account_id) if account_id else Q(email__iexact=email))
        .first()
    )
    field = "account_id" if account_id else "email"
    if known is not None and known.origin == AccountOrigin.INVITED and known.status in ASKED:
        raise DuplicateRequest(
            f"{account_id or email} is already being invited by request #{known.request_id} "
            f"({known.get_status_display().lower()}).",
            field_errors={field: [f"Request #{known.request_id} is inviting it already."]},
        )
    if known is not None:
        raise DuplicateRequest(
            f"{account_id or email} is already in the organization ({known.name}, "
            f"{known.get_status_display().lower()}): it cannot be invited.",
            field_errors={field: ["Already in the organization."]},
        )
    return InvitePlan(
        team=team.slug,
        compliance_class=compliance_class,
        environment=environment,
        account_id=account_id,
        email=email,
        ou_path=class_ou_path(compliance_class),
        approvals_required=approvals_required_for(
            compliance_class=compliance_class, environments=[environment]
        ),
        expected_send_at=invite_send_time(position=invites_queued()),
        invites_sent=len(invites_sent_since(timezone.now() - DAY)),
        invites_per_day=settings.VENDING_INVITES_PER_DAY,
    )


def invites_queued(*, before: int | None = None) -> int:
    """Approved invitations not sent yet (those ahead of account `before`: its place)."""
    queued = VendedAccount.objects.filter(
        status=AccountStatus.PENDING,
        invite_requested_at__isnull=True,
        request__kind=RequestKind.INVITE,
        request__status=RequestStatus.PROVISIONING,
    )
    if before is not None:
        queued = queued.filter(pk__lt=before)
    return queued.count()
