"""Every read of the portal (web pages and REST API alike), scoped to the user asking.

List querysets join what their output serializers render (`select_related`), so a page
costs the same few queries whatever its size or number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from vending.aws import AwsError, OrganizationsGateway, PermanentAwsError, get_gateway
from vending.aws.gateway import SCP
from vending.compliance.placement import levels_for_account, levels_for_ou_path
from vending.compliance.simulator import Decision, evaluate, summarize_services
from vending.errors import PermissionDenied
from vending.models import AccountRequest, Approval, AuditEvent, Team, VendedAccount
from vending.roles import User, is_approver, is_lead_of
from vending.services.requests import PlannedAccount, account_request_preview

# AWS error codes meaning "no such account (any more) in this organization".
_GONE_CODES = frozenset({"AccountNotFoundException", "ChildNotFoundException"})
# The root and at most 5 nested OUs (AWS quota); deeper is a loop in what AWS answered.
_MAX_OU_DEPTH = 6


class NotInOrganization(LookupError):
    """The portal knows the account, but the organization (no longer) holds it."""


def _visible_to(user: User, qs: QuerySet[Any], team_path: str) -> QuerySet[Any]:
    if not user.is_authenticated:
        return qs.none()
    if is_approver(user):
        return qs
    return qs.filter(**{f"{team_path}__leads": user}).distinct()


# -- teams and requests -------------------------------------------------------------------


def approval_queue_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests waiting for `user`'s approval, oldest first: pending, not their own, and
    not already approved by them. Empty for anyone who is not an approver."""
    if not is_approver(user):
        return AccountRequest.objects.none()
    return (
        AccountRequest.objects.filter(status="pending_approval")
        .exclude(requester_id=user.pk)
        .exclude(approvals__approver_id=user.pk)
        .select_related("team", "requester")
        .order_by("created_at", "id")
    )


def account_request_list_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests `user` may see: approvers and admins see all, leads their teams'."""
    qs = AccountRequest.objects.select_related("team", "requester").prefetch_related(
        Prefetch("accounts", queryset=VendedAccount.objects.order_by("id")),
        Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
    )
    return _visible_to(user, qs, "team")


def teams_led_by(*, user: User) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(leads=user).order_by("slug")


def team_list() -> QuerySet[Team]:
    """Every team: any signed-in person may know which teams exist and who leads them."""
    return Team.objects.prefetch_related("leads").order_by("slug")


def team_get(*, slug: str) -> Team | None:
    return Team.objects.filter(slug=slug).first()


def account_request_filter(
    qs: QuerySet[AccountRequest], *, filters: Mapping[str, Any]
) -> QuerySet[AccountRequest]:
    if "team" in filters:
        qs = qs.filter(team__slug=filters["team"])
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    return qs.order_by("-created_at", "-id")


@dataclass(frozen=True)
class RequestPreview:
    team: str
    compliance_class: str
    environments: list[str]
    ou_path: str
    approvals_required: int
    accounts: list[PlannedAccount]
    services: dict[str, str] | None
    services_note: str | None


def account_request_preview_for(
    *,
    user: User,
    team: Team,
    compliance_class: str,
    environments: list[str],
    gateway: OrganizationsGateway | None = None,
) -> RequestPreview:
    """What a request would create and what its accounts could use; the team's leads only."""
    if not is_lead_of(user, team):
        raise PermissionDenied(f"Only leads of team '{team.slug}' can preview requests for it.")
    plan = account_request_preview(
        team=team, compliance_class=compliance_class, environments=environments
    )
    placement = placement_services(gateway=gateway or get_gateway(), ou_path=plan.ou_path)
    return RequestPreview(
        team=plan.team,
        compliance_class=plan.compliance_class,
        environments=plan.environments,
        ou_path=plan.ou_path,
        approvals_required=plan.approvals_required,
        accounts=plan.accounts,
        services=placement.services,
        services_note=placement.note,
    )


# -- accounts -----------------------------------------------------------------------------


def account_list_for(*, user: User, filters: Mapping[str, Any]) -> QuerySet[VendedAccount]:
    """Accounts of live requests `user` may see (leads: their teams'), oldest first.

    Accounts of rejected or cancelled requests never existed in AWS and are left out.
    """
    qs = VendedAccount.objects.filter(is_active=True).select_related("request__team")
    qs = _visible_to(user, qs, "request__team")
    if "team" in filters:
        qs = qs.filter(request__team__slug=filters["team"])
    if "compliance_class" in filters:
        qs = qs.filter(request__compliance_class=filters["compliance_class"])
    if "environment" in filters:
        qs = qs.filter(environment=filters["environment"])
    if "status" in filters:
        qs = qs.filter(status=filters["status"])
    return qs.order_by("id")


def account_get_for(*, user: User, account_id: str) -> VendedAccount | None:
    """The account with this AWS account id, if `user` may see it."""
    return account_list_for(user=user, filters={}).filter(account_id=account_id).first()


# -- effective policy ---------------------------------------------------------------------


def _levels(gateway: OrganizationsGateway, account_id: str) -> tuple[list[Any], bool]:
    try:
        return levels_for_account(gateway, account_id)
    except LookupError as exc:
        raise NotInOrganization(str(exc)) from exc
    except PermanentAwsError as exc:
        if exc.code in _GONE_CODES:
            raise NotInOrganization(
                f"AWS does not know account {account_id} in this organization: {exc.message}"
            ) from exc
        raise


def effective_policy_decide(
    *, gateway: OrganizationsGateway, account_id: str, action: str
) -> Decision:
    levels, management = _levels(gateway, account_id)
    return evaluate(levels, action, management_account=management)


@dataclass(frozen=True)
class ServicesView:
    account_id: str
    ou_path: str
    services: dict[str, str]


def effective_policy_services(*, gateway: OrganizationsGateway, account_id: str) -> ServicesView:
    levels, management = _levels(gateway, account_id)
    summaries = summarize_services(levels, management_account=management)
    return ServicesView(
        account_id=account_id,
        ou_path="/".join(level.name for level in levels if level.kind == "ou"),
        services={prefix: s.status for prefix, s in sorted(summaries.items())},
    )


@dataclass(frozen=True)
class PlacementServices:
    services: dict[str, str] | None
    note: str | None


def placement_services(*, gateway: OrganizationsGateway, ou_path: str) -> PlacementServices:
    """What a new account in `ou_path` could use; a preview still answers if AWS cannot."""
    try:
        levels = levels_for_ou_path(gateway, ou_path)
    except (AwsError, LookupError) as exc:
        return PlacementServices(None, f"The organization could not be read: {exc}")
    summaries = summarize_services(levels)
    return PlacementServices({p: s.status for p, s in sorted(summaries.items())}, None)


# -- organization tree --------------------------------------------------------------------


@dataclass(frozen=True)
class OrgPolicyRef:
    id: str
    name: str


@dataclass
class OrgNode:
    id: str
    name: str
    path: str
    policies: list[OrgPolicyRef]
    account_count: int
    children: list[OrgNode] = field(default_factory=list)


@dataclass(frozen=True)
class OrgTree:
    organization_id: str | None
    management_account_id: str | None
    root: OrgNode | None


def org_tree_read(*, gateway: OrganizationsGateway) -> OrgTree:
    """The live OU tree with the SCPs attached to each node and its direct accounts."""
    org = gateway.describe_organization()
    if org is None:
        return OrgTree(None, None, None)
    root = gateway.root()
    with_scps = SCP in root.enabled_policy_types

    def node(target_id: str, name: str, path: str, depth: int) -> OrgNode:
        policies = (
            [
                OrgPolicyRef(p.id, p.name)
                for p in gateway.list_policies_for_target(target_id=target_id)
            ]
            if with_scps
            else []
        )
        ous = (
            gateway.list_organizational_units(parent_id=target_id) if depth < _MAX_OU_DEPTH else []
        )
        return OrgNode(
            id=target_id,
            name=name,
            path=path,
            policies=sorted(policies, key=lambda p: (p.name, p.id)),
            account_count=len(gateway.list_accounts_for_parent(parent_id=target_id)),
            children=[
                node(ou.id, ou.name, f"{path}/{ou.name}" if path else ou.name, depth + 1)
                for ou in sorted(ous, key=lambda ou: (ou.name, ou.id))
            ],
        )

    return OrgTree(org.id, org.management_account_id, node(root.id, root.name or "Root", "", 0))


# -- audit trail --------------------------------------------------------------------------


def audit_event_list_for(*, user: User, filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """The audit trail, oldest first; only approvers and admins may read it."""
    if not is_approver(user):
        raise PermissionDenied("Only approvers and admins can read the audit trail.")
    qs = AuditEvent.objects.select_related("actor", "team", "account")
    if "team" in filters:
        qs = qs.filter(team__slug=filters["team"])
    if "request" in filters:
        qs = qs.filter(request_id=filters["request"])
    if "action" in filters:
        qs = qs.filter(action=filters["action"])
    if "actor" in filters:
        qs = qs.filter(actor__username=filters["actor"])
    since: datetime | None = filters.get("since")
    until: datetime | None = filters.get("until")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("created_at", "id")
