"""What a request about an existing account would do, before it exists: which account,
whose, how old, where it goes, approvals needed, what its services become.

A read: the account page's forms, the API's `preview` and the submit service (which
refuses what the plan refuses) all use this one plan, as creation uses `request_plans`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from vending.aws import OrganizationsGateway
from vending.blueprint.current import class_ou_path
from vending.choices import (
    REQUEST_OPEN,
    AccountOrigin,
    AccountStatus,
    ComplianceClass,
    Environment,
    RequestKind,
)
from vending.errors import DuplicateRequest, InvalidInput, PermissionDenied
from vending.models import AccountRequest, VendedAccount
from vending.roles import User, is_lead_of
from vending.selectors.close_quota import close_quota_read
from vending.selectors.leases import lease_end_errors
from vending.selectors.request_plans import (
    PlacementPolicy,
    approvals_required_for,
    placement_policy_read,
)

SUSPENDED_OU_PATH = "SuspendedOU"
# Decommissioning a production account takes two people, whatever its class.
DECOMMISSION_PROD_APPROVALS = 2
# The kinds about an existing account this module plans.
PLANNED_KINDS = frozenset({RequestKind.CHANGE_CLASS, RequestKind.DECOMMISSION, RequestKind.EXTEND})
_RANK = {"denied": 0, "partial": 1, "allowed": 2}


def lifecycle_account_for(
    *, user: User, account_id: str, field_name: str = "account_id"
) -> VendedAccount:
    """The account `user` may file a request about: one they can see (else "no such
    account", as a 404 would say), owned by a team they lead (else PermissionDenied)."""
    account = (
        VendedAccount.objects.visible_to(user)
        .select_related("request__team", "team")
        .filter(account_id=account_id, is_active=True)
        .first()
    )
    if account is None:
        raise InvalidInput(
            f"There is no account {account_id} that you can see.",
            field_errors={field_name: [f"There is no account {account_id} that you can see."]},
        )
    team = account.owner_team
    if team is None:
        raise InvalidInput(
            f"Account {account_id} belongs to no team yet: an admin assigns it first.",
            field_errors={field_name: ["The account belongs to no team yet."]},
        )
    if not is_lead_of(user, team):
        raise PermissionDenied(f"Only leads of team '{team.slug}' can file requests about it.")
    return account


def open_request_on(account: VendedAccount) -> AccountRequest | None:
    return account.lifecycle_requests.filter(status__in=REQUEST_OPEN).order_by("pk").first()


def _refuse_open_request(account: VendedAccount) -> None:
    found = open_request_on(account)
    if found is not None:
        raise DuplicateRequest(
            f"Account {account.account_id} already has an open request: #{found.pk} "
            f"({found.get_kind_display().lower()}, {found.get_status_display().lower()}). "
            "Wait for it to finish or cancel it first.",
            field_errors={"account_id": [f"Request #{found.pk} is still open for it."]},
        )


@dataclass(frozen=True)
class AccountChanges:
    """What the account page offers: the actions `user` may ask for, or the open
    request that holds the account."""

    allowed: bool
    open_request: AccountRequest | None


def account_changes_for(*, user: User, account: VendedAccount) -> AccountChanges:
    team = account.owner_team
    lead = team is not None and is_lead_of(user, team)
    return AccountChanges(
        allowed=lead and account.status == AccountStatus.READY and bool(account.account_id),
        open_request=open_request_on(account),
    )


@dataclass(frozen=True)
class LifecyclePlan:
    kind: str
    account: VendedAccount
    team: str
    compliance_class: str  # the class it will have (change_class) or has
    ou_path: str  # where it goes
    approvals_required: int
    # decommission: "closed" (CloseAccount) or "removed" (RemoveAccountFromOrganization)
    ending: str = ""
    expires_on: date | None = None  # extend: the lease's new end

    @property
    def age_days(self) -> int:
        return (timezone.now() - self.account.created_at).days

    @property
    def environments(self) -> list[str]:
        return [self.account.environment] if self.account.environment else []


def lifecycle_plan(
    *,
    user: User,
    kind: str,
    account_id: str,
    compliance_class: str = "",
    expires_on: date | None = None,
) -> LifecyclePlan:
    """What a `kind` request about `account_id` would do, or the refusal (every field's
    error at once where they are independent)."""
    if kind not in PLANNED_KINDS:
        message = f"Requests of kind '{kind}' are not available in this portal yet."
        raise InvalidInput(message, field_errors={"kind": [message]})
    account = lifecycle_account_for(user=user, account_id=account_id)
    current = account.class_value or ""
    errors = _plan_errors(kind, account, compliance_class=compliance_class, expires_on=expires_on)
    if errors:
        raise InvalidInput("The request cannot be made: " + _first(errors), field_errors=errors)
    _refuse_open_request(account)
    team = account.owner_team
    assert team is not None
    envs = [account.environment] if account.environment else []
    if kind == RequestKind.CHANGE_CLASS:
        return LifecyclePlan(
            kind=kind,
            account=account,
            team=team.slug,
            compliance_class=compliance_class,
            ou_path=class_ou_path(compliance_class),
            approvals_required=approvals_required_for(
                compliance_class=compliance_class, environments=envs
            ),
        )
    if kind == RequestKind.DECOMMISSION:
        prod = account.environment == Environment.PROD
        return LifecyclePlan(
            kind=kind,
            account=account,
            team=team.slug,
            compliance_class=current,
            ou_path=SUSPENDED_OU_PATH,
            approvals_required=DECOMMISSION_PROD_APPROVALS if prod else 1,
            ending="removed" if account.origin == AccountOrigin.INVITED else "closed",
        )
    if kind == RequestKind.EXTEND:
        return LifecyclePlan(
            kind=kind,
            account=account,
            team=team.slug,
            compliance_class=current,
            ou_path=account.target_ou_path,
            approvals_required=1,
            expires_on=expires_on,
        )
    raise AssertionError(kind)  # PLANNED_KINDS holds no other


def _plan_errors(
    kind: str, account: VendedAccount, *, compliance_class: str, expires_on: date | None
) -> dict[str, list[str]]:
    """Every reason the account cannot get a `kind` request, per field."""
    errors: dict[str, list[str]] = {}
    current = account.class_value or ""
    # A decommission whose removal AWS refused may be asked again once fixed.
    retry = kind == RequestKind.DECOMMISSION and account.status == AccountStatus.SUSPENDED
    if account.status != AccountStatus.READY and not retry:
        errors["account_id"] = [
            f"The account is {account.get_status_display().lower()}: only a ready account "
            "can change."
        ]
    if kind == RequestKind.CHANGE_CLASS:
        if compliance_class not in ComplianceClass.values:
            errors["compliance_class"] = [f"'{compliance_class}' is not a valid class."]
        elif compliance_class == current:
            errors["compliance_class"] = [f"The account is already of class {current}."]
        if account.target_ou_path == SUSPENDED_OU_PATH:
            errors["account_id"] = ["The account is in SuspendedOU: it cannot change class."]
    if kind == RequestKind.EXTEND:
        if account.expires_on is None:
            errors["account_id"] = ["The account has no lease: there is nothing to extend."]
        elif expires_on is None:
            errors["expires_on"] = ["Give the lease's new end."]
        elif expires_on <= account.expires_on:
            errors["expires_on"] = [f"The lease already runs until {account.expires_on}."]
        else:
            lease = lease_end_errors(
                expires_on=expires_on,
                compliance_class=current,
                environments=[account.environment] if account.environment else [],
            )
            if lease:
                errors["expires_on"] = lease
    return errors


def _first(errors: dict[str, list[str]]) -> str:
    return next(iter(errors.values()))[0]


@dataclass(frozen=True)
class ServiceChange:
    prefix: str
    before: str
    after: str


@dataclass(frozen=True)
class LifecyclePreview:
    plan: LifecyclePlan
    gained: list[ServiceChange] = field(default_factory=list)
    lost: list[ServiceChange] = field(default_factory=list)
    services_note: str | None = None
    reopen_note: str = ""
    expected_on: date | None = None


REOPEN_NOTE = (
    "A closed account can be reopened through AWS Support for 90 days after it closes; "
    "after that AWS deletes it for good."
)


def lifecycle_preview_for(
    *,
    user: User,
    kind: str,
    account_id: str,
    compliance_class: str = "",
    expires_on: date | None = None,
    gateway: OrganizationsGateway | None = None,
) -> LifecyclePreview:
    """The plan and what it changes: for change_class the services gained and lost (the
    simulator on both OUs), for decommission the ending and the reopening window."""
    plan = lifecycle_plan(
        user=user,
        kind=kind,
        account_id=account_id,
        compliance_class=compliance_class,
        expires_on=expires_on,
    )
    if kind == RequestKind.EXTEND:
        return LifecyclePreview(plan=plan)
    if kind == RequestKind.CHANGE_CLASS:
        before = placement_policy_read(
            ou_path=plan.account.target_ou_path, gateway=gateway, reuse=True
        )
        after = placement_policy_read(ou_path=plan.ou_path, gateway=gateway, reuse=True)
        gained, lost = services_diff(before, after)
        note = before.note or after.note
        return LifecyclePreview(plan=plan, gained=gained, lost=lost, services_note=note)
    if plan.ending == "removed":
        return LifecyclePreview(plan=plan, expected_on=timezone.localdate())
    waiting = VendedAccount.objects.filter(
        status=AccountStatus.SUSPENDED, close_requested_at__isnull=True
    ).count()
    return LifecyclePreview(
        plan=plan,
        reopen_note=REOPEN_NOTE,
        expected_on=close_quota_read().expected_on(position=waiting),
    )


def services_diff(
    before: PlacementPolicy, after: PlacementPolicy
) -> tuple[list[ServiceChange], list[ServiceChange]]:
    """Service prefixes whose status rises (gained) or falls (lost) from `before` to
    `after`: denied < partial < allowed."""
    old, new = before.services, after.services
    if old is None or new is None:
        return [], []
    gained, lost = [], []
    for prefix in sorted(set(old) | set(new)):
        a, b = old.get(prefix, "denied"), new.get(prefix, "denied")
        if _RANK[b] > _RANK[a]:
            gained.append(ServiceChange(prefix, a, b))
        elif _RANK[b] < _RANK[a]:
            lost.append(ServiceChange(prefix, a, b))
    return gained, lost
