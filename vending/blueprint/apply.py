"""Apply: make the planned changes, in the plan's order, each one safe to repeat."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from vending.aws import AwsError, OrganizationsGateway
from vending.blueprint.live import LiveOrg, read_live
from vending.blueprint.model import Blueprint
from vending.blueprint.plan import Action, Change, Plan, make_plan

logger = logging.getLogger(__name__)

# Errors that mean "already so": a concurrent or earlier run got there first.
ALREADY_DONE = {
    Action.CREATE_OU: {"DuplicateOrganizationalUnitException"},
    Action.CREATE_POLICY: {"DuplicatePolicyException"},
    Action.ATTACH: {"DuplicatePolicyAttachmentException"},
    Action.DETACH: {"PolicyNotAttachedException"},
    Action.ENABLE_SCP: {"PolicyTypeAlreadyEnabledException"},
    Action.MOVE_ACCOUNT: {"DuplicateAccountException"},
    Action.CREATE_ORGANIZATION: {"AlreadyInOrganizationException"},
}


@dataclass
class ApplyResult:
    applied: list[Change] = field(default_factory=list)
    remaining: Plan = field(default_factory=Plan)
    # The organization as read after the changes (what `remaining` was planned on).
    live: LiveOrg = field(default_factory=LiveOrg)


class _Applier:
    def __init__(self, gateway: OrganizationsGateway, blueprint: Blueprint, live: LiveOrg):
        self.gw = gateway
        self.blueprint = blueprint
        self.live = live

    def target_id(self, path: str) -> str:
        if path == "":
            assert self.live.root is not None
            return self.live.root.id
        return self.live.ous[path].id

    def policy_id(self, name: str) -> str:
        return self.live.policies[name].id

    def refresh(self) -> None:
        self.live = read_live(self.gw, self.blueprint)

    def run(self, change: Change) -> None:
        handlers: dict[Action, Callable[[Change], None]] = {
            Action.CREATE_ORGANIZATION: self.create_organization,
            Action.ENABLE_SCP: self.enable_scp,
            Action.CREATE_OU: self.create_ou,
            Action.CREATE_POLICY: self.create_policy,
            Action.UPDATE_POLICY: self.update_policy,
            Action.ATTACH: self.attach,
            Action.MOVE_ACCOUNT: self.move_account,
            Action.DETACH: self.detach,
        }
        try:
            handlers[change.action](change)
        except AwsError as exc:
            if exc.code not in ALREADY_DONE.get(change.action, set()):
                raise
            logger.info("%s: already done (%s)", change.summary, exc.code)
            self.refresh()

    def create_organization(self, change: Change) -> None:
        self.gw.create_organization(feature_set="ALL")
        self.refresh()

    def enable_scp(self, change: Change) -> None:
        assert self.live.root is not None
        self.gw.enable_policy_type(root_id=self.live.root.id)
        self.refresh()

    def create_ou(self, change: Change) -> None:
        parent, _, name = change.ou_path.rpartition("/")
        ou = self.gw.create_organizational_unit(parent_id=self.target_id(parent), name=name)
        self.live.ous[change.ou_path] = ou
        # AWS attaches FullAWSAccess to a new OU; read what it really has.
        self.live.attachments[ou.id] = {
            p.id for p in self.gw.list_policies_for_target(target_id=ou.id)
        }

    def create_policy(self, change: Change) -> None:
        spec = self.blueprint.policies[change.policy]
        summary = self.gw.create_policy(
            name=spec.name, description=spec.description, content=spec.content
        )
        self.live.policies[spec.name] = summary

    def update_policy(self, change: Change) -> None:
        spec = self.blueprint.policies[change.policy]
        self.gw.update_policy(
            policy_id=self.policy_id(spec.name), content=spec.content, description=spec.description
        )

    def attach(self, change: Change) -> None:
        self.gw.attach_policy(
            policy_id=self.policy_id(change.policy), target_id=self.target_id(change.ou_path)
        )

    def detach(self, change: Change) -> None:
        self.gw.detach_policy(
            policy_id=self.policy_id(change.policy), target_id=self.target_id(change.ou_path)
        )

    def move_account(self, change: Change) -> None:
        self.gw.move_account(
            account_id=change.account_id,
            source_parent_id=self.live.account_parents[change.account_id],
            destination_parent_id=self.target_id(change.destination),
        )


def apply_plan(
    gateway: OrganizationsGateway,
    blueprint: Blueprint,
    plan: Plan,
    live: LiveOrg,
    *,
    expected_accounts: dict[str, tuple[str, str]] | None = None,
    on_change: Callable[[Change], None] | None = None,
) -> ApplyResult:
    applier = _Applier(gateway, blueprint, live)
    result = ApplyResult()
    for change in plan.changes:
        applier.run(change)
        result.applied.append(change)
        if on_change:
            on_change(change)
    result.live = read_live(gateway, blueprint)
    result.remaining = make_plan(blueprint, result.live, expected_accounts=expected_accounts)
    return result
