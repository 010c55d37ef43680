"""What a request would create, before it exists: account names and e-mails, target OU,
approvals needed, conflicts with live requests, and what the accounts could use.

A read: the request form's preview, the API's `preview`, and the submit service (which
refuses what the plan flags) all use this one plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from django.conf import settings

from vending.aws import AwsError, OrganizationsGateway, get_gateway
from vending.blueprint.current import class_ou_path
from vending.choices import ENVIRONMENT_ORDER, ComplianceClass, Environment
from vending.errors import InvalidInput, PermissionDenied
from vending.models import Team, VendedAccount
from vending.naming import account_identity_render
from vending.roles import User, is_lead_of
from vending.selectors.policies import EffectivePolicy, effective_policy_for_ou_path


@dataclass(frozen=True)
class PlannedAccount:
    environment: str
    name: str
    email: str
    ou_path: str
    # The live request that already holds this name or e-mail, if any.
    conflict_request_id: int | None = None


@dataclass(frozen=True)
class RequestPlan:
    team: str
    compliance_class: str
    environments: list[str]
    ou_path: str
    approvals_required: int
    accounts: list[PlannedAccount]

    @property
    def conflicts(self) -> list[PlannedAccount]:
        return [a for a in self.accounts if a.conflict_request_id is not None]


def approvals_required_for(*, compliance_class: str, environments: Iterable[str]) -> int:
    regulated = compliance_class in settings.VENDING_REGULATED_CLASSES
    if regulated and Environment.PROD in environments:
        return max(1, settings.VENDING_REGULATED_PROD_APPROVALS)
    return 1


def _clean_environments(environments: Iterable[str]) -> list[str]:
    given = list(environments)
    unknown = sorted({e for e in given if e not in ENVIRONMENT_ORDER})
    if unknown:
        raise InvalidInput(
            f"Unknown environment(s): {', '.join(unknown)}. Choose from dev, test, qa, prod.",
            field_errors={"environments": [f"'{u}' is not an environment." for u in unknown]},
        )
    if not given:
        raise InvalidInput(
            "Choose at least one environment.",
            field_errors={"environments": ["Choose at least one environment."]},
        )
    if len(set(given)) != len(given):
        raise InvalidInput(
            "An environment is listed twice.",
            field_errors={"environments": ["Each environment may be listed once."]},
        )
    return [e for e in ENVIRONMENT_ORDER if e in given]


def account_request_plan(
    *, team: Team, compliance_class: str, environments: Iterable[str]
) -> RequestPlan:
    """What a request would create, validated against AWS's limits; writes nothing."""
    if compliance_class not in ComplianceClass.values:
        raise InvalidInput(
            f"Unknown compliance class '{compliance_class}'. "
            f"Choose from {', '.join(ComplianceClass.values)}.",
            field_errors={"compliance_class": [f"'{compliance_class}' is not a valid class."]},
        )
    envs = _clean_environments(environments)
    ou_path = class_ou_path(compliance_class)
    identities = {
        env: account_identity_render(
            team=team.slug, environment=env, compliance_class=compliance_class
        )
        for env in envs
    }
    holders = {
        email.lower(): request_id
        for email, request_id in VendedAccount.objects.filter(
            is_active=True, email__in=[i.email for i in identities.values()]
        ).values_list("email", "request_id")
    }
    return RequestPlan(
        team=team.slug,
        compliance_class=compliance_class,
        environments=envs,
        ou_path=ou_path,
        approvals_required=approvals_required_for(
            compliance_class=compliance_class, environments=envs
        ),
        accounts=[
            PlannedAccount(
                environment=env,
                name=identity.name,
                email=identity.email,
                ou_path=ou_path,
                conflict_request_id=holders.get(identity.email),
            )
            for env, identity in identities.items()
        ],
    )


def environment_holders(*, team: Team, compliance_class: str) -> dict[str, int]:
    """Environment -> the live request already holding that account of `team`.

    Uses the same plan as submitting, so the flags beside the checkboxes agree with what
    submitting would refuse.
    """
    plan = account_request_plan(
        team=team, compliance_class=compliance_class, environments=ENVIRONMENT_ORDER
    )
    return {
        a.environment: a.conflict_request_id
        for a in plan.accounts
        if a.conflict_request_id is not None
    }


@dataclass(frozen=True)
class PlacementPolicy:
    """What a new account in an OU could use; `note` says why it is unknown."""

    policy: EffectivePolicy | None
    note: str | None

    @property
    def services(self) -> dict[str, str] | None:
        return self.policy.services if self.policy is not None else None


def placement_policy_read(
    *, ou_path: str, gateway: OrganizationsGateway | None = None, reuse: bool = False
) -> PlacementPolicy:
    """A placement's effective policy; a preview still answers when AWS cannot."""
    try:
        policy = effective_policy_for_ou_path(
            gateway=gateway or get_gateway(), ou_path=ou_path, reuse=reuse
        )
    except (AwsError, LookupError) as exc:
        return PlacementPolicy(None, f"The organization could not be read: {exc}")
    return PlacementPolicy(policy, None)


def class_policy_read(*, compliance_class: str) -> PlacementPolicy:
    """What an account of `compliance_class` could use, from the live organization.

    Reused for a while: a search box asks on every pause in typing, and the OU's SCPs
    change far less often than that. A failed read is not kept.
    """
    return placement_policy_read(ou_path=class_ou_path(compliance_class), reuse=True)


@dataclass(frozen=True)
class RequestPreview(RequestPlan):
    """The plan, and what its accounts could use."""

    placement: PlacementPolicy

    @property
    def services(self) -> dict[str, str] | None:
        return self.placement.services

    @property
    def services_note(self) -> str | None:
        return self.placement.note


def account_request_preview_for(
    *,
    user: User,
    team: Team,
    compliance_class: str,
    environments: list[str],
    gateway: OrganizationsGateway | None = None,
) -> RequestPreview:
    """What a request would create and what its accounts could use; the team's leads only
    (`PermissionDenied` otherwise)."""
    if not is_lead_of(user, team):
        raise PermissionDenied(f"Only leads of team '{team.slug}' can preview requests for it.")
    plan = account_request_plan(
        team=team, compliance_class=compliance_class, environments=environments
    )
    return RequestPreview(
        **{f.name: getattr(plan, f.name) for f in fields(plan)},
        placement=placement_policy_read(ou_path=plan.ou_path, gateway=gateway),
    )
