"""Bring an organization to the portal's minimal layout, idempotently.

This is the first, simple blueprint: the organization with all features, SCPs enabled,
the OU of every compliance class (HIPAA+PCI nested under HIPAA) plus SuspendedOU, and
two guardrails. Each step first checks what is already true, so running it again
changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings

from vending.aws import OrganizationsGateway
from vending.aws.gateway import SCP
from vending.aws.types import OrganizationalUnit

SUSPENDED_OU = "SuspendedOU"

GUARDRAILS: dict[str, dict[str, object]] = {
    "vending-deny-leave-organization": {
        "description": "Accounts cannot leave the organization.",
        "target": "",  # the root
        "document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyLeaveOrganization",
                    "Effect": "Deny",
                    "Action": "organizations:LeaveOrganization",
                    "Resource": "*",
                }
            ],
        },
    },
    "vending-suspended-deny-all": {
        "description": "Accounts on their way out can do nothing.",
        "target": SUSPENDED_OU,
        "document": {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}],
        },
    },
}


@dataclass
class BootstrapReport:
    changes: list[str] = field(default_factory=list)

    def add(self, change: str) -> None:
        self.changes.append(change)


def minify(document: dict[str, object]) -> str:
    # AWS counts whitespace against the SCP size limit.
    return json.dumps(document, separators=(",", ":"), sort_keys=False)


def ou_paths() -> list[str]:
    paths = set(settings.VENDING_CLASS_OU_PATHS.values()) | {SUSPENDED_OU}
    # Parents first: "HipaaOU" before "HipaaOU/HipaaPciOU".
    return sorted(paths, key=lambda p: (p.count("/"), p))


def org_bootstrap(*, gateway: OrganizationsGateway) -> BootstrapReport:
    report = BootstrapReport()
    if gateway.describe_organization() is None:
        org = gateway.create_organization(feature_set="ALL")
        report.add(f"created organization {org.id}")
    root = gateway.root()
    if SCP not in root.enabled_policy_types:
        gateway.enable_policy_type(root_id=root.id)
        report.add("enabled service control policies on the root")

    ous: dict[str, OrganizationalUnit] = {}
    for path in ou_paths():
        parent_path, _, name = path.rpartition("/")
        parent_id = ous[parent_path].id if parent_path else root.id
        existing = next(
            (
                ou
                for ou in gateway.list_organizational_units(parent_id=parent_id)
                if ou.name == name
            ),
            None,
        )
        if existing is None:
            existing = gateway.create_organizational_unit(parent_id=parent_id, name=name)
            report.add(f"created OU {path}")
        ous[path] = existing

    policies = {p.name: p for p in gateway.list_policies()}
    for name, spec in GUARDRAILS.items():
        content = minify(spec["document"])  # type: ignore[arg-type]
        policy = policies.get(name)
        if policy is None:
            policy = gateway.create_policy(
                name=name, description=str(spec["description"]), content=content
            )
            report.add(f"created SCP {name}")
        elif gateway.describe_policy(policy_id=policy.id).content != content:
            gateway.update_policy(policy_id=policy.id, content=content)
            report.add(f"updated SCP {name}")
        target_path = str(spec["target"])
        target_id = ous[target_path].id if target_path else root.id
        attached = {p.id for p in gateway.list_policies_for_target(target_id=target_id)}
        if policy.id not in attached:
            gateway.attach_policy(policy_id=policy.id, target_id=target_id)
            report.add(f"attached SCP {name} to {target_path or 'Root'}")
    return report
