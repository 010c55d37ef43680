"""A snapshot of the live organization: what plan compares the blueprint against."""

from __future__ import annotations

from dataclasses import dataclass, field

from vending.aws import OrganizationsGateway
from vending.aws.gateway import SCP
from vending.aws.types import Account, Organization, OrganizationalUnit, PolicySummary, Root
from vending.blueprint.model import Blueprint


@dataclass
class LiveOrg:
    organization: Organization | None = None
    root: Root | None = None
    # Every OU of the organization by path ("HipaaOU/HipaaPciOU").
    ous: dict[str, OrganizationalUnit] = field(default_factory=dict)
    policies: dict[str, PolicySummary] = field(default_factory=dict)
    # Content of the policies the blueprint names, by policy id.
    contents: dict[str, str] = field(default_factory=dict)
    # Attached SCP ids of the root and of every OU, by target id.
    attachments: dict[str, set[str]] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    # Parent (root or OU id) of every account.
    account_parents: dict[str, str] = field(default_factory=dict)

    @property
    def scp_enabled(self) -> bool:
        return self.root is not None and SCP in self.root.enabled_policy_types

    def path_of(self, parent_id: str) -> str | None:
        """The OU path of a parent id ("" for the root), or None if unknown."""
        if self.root is not None and parent_id == self.root.id:
            return ""
        return next((p for p, ou in self.ous.items() if ou.id == parent_id), None)

    def policy_name(self, policy_id: str) -> str:
        return next((n for n, p in self.policies.items() if p.id == policy_id), policy_id)


def read_live(gateway: OrganizationsGateway, blueprint: Blueprint) -> LiveOrg:
    live = LiveOrg(organization=gateway.describe_organization())
    if live.organization is None:
        return live
    live.root = gateway.root()
    pending = [("", live.root.id)]
    while pending:
        parent_path, parent_id = pending.pop()
        for ou in gateway.list_organizational_units(parent_id=parent_id):
            path = f"{parent_path}/{ou.name}" if parent_path else ou.name
            live.ous[path] = ou
            pending.append((path, ou.id))
    if live.scp_enabled:
        live.policies = {p.name: p for p in gateway.list_policies()}
        for name in blueprint.policies:
            if name in live.policies:
                policy_id = live.policies[name].id
                live.contents[policy_id] = gateway.describe_policy(policy_id=policy_id).content
        for target_id in [live.root.id, *(ou.id for ou in live.ous.values())]:
            live.attachments[target_id] = {
                p.id for p in gateway.list_policies_for_target(target_id=target_id)
            }
    for parent_id in [live.root.id, *(ou.id for ou in live.ous.values())]:
        for account in gateway.list_accounts_for_parent(parent_id=parent_id):
            live.accounts[account.id] = account
            live.account_parents[account.id] = parent_id
    return live
