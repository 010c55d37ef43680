"""The org blueprint as services: plan, apply, and the class -> OU mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from vending.audit import Actor, org_changed
from vending.aws import OrganizationsGateway, get_gateway
from vending.blueprint.apply import ApplyResult, apply_plan
from vending.blueprint.current import current_blueprint
from vending.blueprint.live import LiveOrg, read_live
from vending.blueprint.model import Blueprint
from vending.blueprint.plan import Change, Plan, make_plan
from vending.choices import AccountOrigin, AccountStatus
from vending.errors import PermissionDenied
from vending.models import VendedAccount
from vending.roles import is_admin
from vending.selectors.org_impact import Impact, org_plan_impact
from vending.services.org_units import org_units_remember_live


def vended_account_placements() -> dict[str, tuple[str, str]]:
    """Where the portal put each ready account: account id -> (OU path, name). Imported
    accounts are not the portal's to place: it never moves them back."""
    return {
        str(account_id): (path, name)
        for account_id, path, name in VendedAccount.objects.filter(
            status=AccountStatus.READY, account_id__isnull=False, is_active=True
        )
        .exclude(origin=AccountOrigin.IMPORTED)
        .values_list("account_id", "target_ou_path", "name")
    }


@dataclass(frozen=True)
class OrgPlan:
    blueprint: Blueprint
    live: LiveOrg
    plan: Plan
    # Who gains or loses which services (computed only when asked for).
    impact: Impact = field(default_factory=Impact)


def org_blueprint_plan(
    *,
    gateway: OrganizationsGateway | None = None,
    blueprint: Blueprint | None = None,
    with_impact: bool = False,
) -> OrgPlan:
    gw = gateway or get_gateway()
    blueprint = blueprint or current_blueprint()
    live = read_live(gw, blueprint)
    plan = make_plan(blueprint, live, expected_accounts=vended_account_placements())
    impact = (
        org_plan_impact(gateway=gw, blueprint=blueprint, live=live, plan=plan)
        if with_impact
        else Impact()
    )
    return OrgPlan(blueprint=blueprint, live=live, plan=plan, impact=impact)


def org_blueprint_apply(
    *,
    actor: Actor = None,
    gateway: OrganizationsGateway | None = None,
    blueprint: Blueprint | None = None,
) -> ApplyResult:
    """Make the organization match the blueprint; every change goes to the audit trail.

    `actor` None means the portal itself (bootstrap, an operator's shell): only a
    signed-in person must be an admin.
    """
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can change the organization.")
    gw = gateway or get_gateway()
    current = org_blueprint_plan(gateway=gw, blueprint=blueprint)

    def record(change: Change) -> None:
        with transaction.atomic():
            org_changed(actor=actor, change=change)

    result = apply_plan(
        gw,
        current.blueprint,
        current.plan,
        current.live,
        expected_accounts=vended_account_placements(),
        on_change=record,
    )
    # Placing accounts uses these ids without looking the OUs up.
    org_units_remember_live(live=result.live, blueprint=current.blueprint)
    return result
