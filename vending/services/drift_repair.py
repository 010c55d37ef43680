"""Repairing one drift finding: the blueprint applied to that finding's target only.

`org blueprint apply` (the shell) makes the whole organization match; an admin looking
at one finding on the organization page repairs that one, after seeing what will be
done. The changes are those of the current plan with the finding's key, and what they
need first, in the plan's order: the OU (and its parents) an SCP is attached to or an
account is moved into, the SCP that is attached, and, before an SCP is detached, the
attachments that keep the target restricted (the last-SCP rule, attach before detach).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from vending.audit import Actor, drift_repaired, org_changed
from vending.aws import OrganizationsGateway, get_gateway
from vending.blueprint.apply import apply_plan
from vending.blueprint.plan import Action, Change, Plan
from vending.choices import DriftKind
from vending.errors import InvalidTransition, PermissionDenied
from vending.models import DriftFinding
from vending.roles import is_admin
from vending.services.org_blueprint import OrgPlan, org_blueprint_plan, vended_account_placements
from vending.services.org_units import org_units_remember_live

# Findings the blueprint cannot repair: a person decides about these accounts.
NEEDS_A_PERSON = frozenset({DriftKind.ACCOUNT_UNKNOWN, DriftKind.ACCOUNT_MISSING})


@dataclass(frozen=True)
class DriftRepairPlan:
    finding: DriftFinding
    changes: list[Change]
    current: OrgPlan | None = None


def _ancestors_and_self(path: str) -> set[str]:
    parts = path.split("/") if path else []
    return {"/".join(parts[: i + 1]) for i in range(len(parts))}


def _needed(plan: Plan, key: str) -> list[Change]:
    """The plan's changes for `key` and what they need first, in the plan's order."""
    chosen = [c for c in plan.changes if c.key == key]
    ous: set[str] = set()
    policies: set[str] = set()
    attach_at: set[str] = set()
    for change in chosen:
        if change.action == Action.ATTACH:
            ous |= _ancestors_and_self(change.ou_path)
            policies.add(change.policy)
        elif change.action == Action.DETACH:
            attach_at.add(change.ou_path)
        elif change.action == Action.MOVE_ACCOUNT:
            ous |= _ancestors_and_self(change.destination)
            attach_at |= _ancestors_and_self(change.destination)
        elif change.action == Action.CREATE_OU:
            ous |= _ancestors_and_self(change.ou_path)
    attaches = [c for c in plan.changes if c.action == Action.ATTACH and c.ou_path in attach_at]
    for change in attaches:
        ous |= _ancestors_and_self(change.ou_path)
        policies.add(change.policy)

    def wanted(c: Change) -> bool:
        return (
            c.key == key
            or c in attaches
            or (c.action == Action.CREATE_OU and c.ou_path in ous)
            or (c.action == Action.CREATE_POLICY and c.policy in policies)
        )

    return [c for c in plan.changes if wanted(c)] if chosen else []


def _open_finding(finding_id: int) -> DriftFinding:
    finding = DriftFinding.objects.filter(pk=finding_id, resolved_at__isnull=True).first()
    if finding is None:
        raise InvalidTransition("This drift finding is resolved already (or never existed).")
    if finding.kind in NEEDS_A_PERSON:
        raise InvalidTransition(
            f"{finding.get_kind_display()} is not something the blueprint can repair: "
            "a person must decide about the account."
        )
    return finding


def org_drift_repair_plan(
    *, actor: Actor, finding_id: int, gateway: OrganizationsGateway | None = None
) -> DriftRepairPlan:
    """What repairing the finding would change, read live (nothing is changed)."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can repair drift.")
    finding = _open_finding(finding_id)
    current = org_blueprint_plan(gateway=gateway)
    return DriftRepairPlan(finding, _needed(current.plan, finding.key), current)


def org_drift_repair(
    *, actor: Actor, finding_id: int, gateway: OrganizationsGateway | None = None
) -> DriftRepairPlan:
    """Apply the blueprint to the finding's target only; audited (each change and the
    repair). A finding whose target already matches is resolved with nothing applied."""
    gw = gateway or get_gateway()
    repair = org_drift_repair_plan(actor=actor, finding_id=finding_id, gateway=gw)
    assert repair.current is not None
    finding, current = repair.finding, repair.current

    def record(change: Change) -> None:
        with transaction.atomic():
            org_changed(actor=actor, change=change)

    result = apply_plan(
        gw,
        current.blueprint,
        Plan(changes=repair.changes),
        current.live,
        expected_accounts=vended_account_placements(),
        on_change=record,
    )
    org_units_remember_live(live=result.live, blueprint=current.blueprint)
    with transaction.atomic():
        drift_repaired(actor=actor, finding=finding, changes=result.applied)
        if all(c.key != finding.key for c in result.remaining.changes):
            DriftFinding.objects.filter(pk=finding.pk, resolved_at__isnull=True).update(
                resolved_at=timezone.now()
            )
    return DriftRepairPlan(finding, result.applied)
