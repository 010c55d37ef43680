"""Plan: the changes that make the live organization match the blueprint.

Pure: it compares a `Blueprint` with a `LiveOrg` snapshot and makes no call. Changes
come out in the order apply must make them: organization, policy type, OUs (parents
first), policies, attachments, account moves, and only then detachments, so no target
is ever left without an SCP.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from enum import StrEnum

from vending.blueprint.live import LiveOrg
from vending.blueprint.model import FULL_AWS_ACCESS, Blueprint


class Action(StrEnum):
    CREATE_ORGANIZATION = "create_organization"
    ENABLE_SCP = "enable_policy_type"
    CREATE_OU = "create_ou"
    CREATE_POLICY = "create_policy"
    UPDATE_POLICY = "update_policy"
    ATTACH = "attach"
    MOVE_ACCOUNT = "move_account"
    DETACH = "detach"


SYMBOL = {
    Action.CREATE_ORGANIZATION: "+",
    Action.ENABLE_SCP: "+",
    Action.CREATE_OU: "+",
    Action.CREATE_POLICY: "+",
    Action.UPDATE_POLICY: "~",
    Action.ATTACH: "+",
    Action.MOVE_ACCOUNT: ">",
    Action.DETACH: "-",
}


@dataclass(frozen=True)
class Change:
    action: Action
    # Where it shows in the tree: "" for the organization/root, an OU path, "policies",
    # or "accounts".
    target: str
    summary: str
    policy: str = ""
    ou_path: str = ""
    account_id: str = ""
    destination: str = ""
    diff: str = ""

    @property
    def key(self) -> str:
        """Stable identity of what is out of line (used by drift findings)."""
        return ":".join(
            part for part in (self.action, self.ou_path, self.policy, self.account_id) if part
        )


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # OUs the organization has and the blueprint does not name (reported, never deleted).
    unmanaged_ous: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        add = sum(SYMBOL[c.action] == "+" for c in self.changes)
        change = sum(SYMBOL[c.action] == "~" for c in self.changes)
        move = sum(SYMBOL[c.action] == ">" for c in self.changes)
        remove = sum(SYMBOL[c.action] == "-" for c in self.changes)
        return {"add": add, "change": change, "move": move, "remove": remove}


def _label(target: str) -> str:
    return target or "Root"


def make_plan(
    blueprint: Blueprint,
    live: LiveOrg,
    *,
    expected_accounts: dict[str, tuple[str, str]] | None = None,
) -> Plan:
    """`expected_accounts`: account id -> (OU path, label) for accounts the portal placed."""
    if live.organization is not None and live.organization.feature_set != "ALL":
        return Plan(
            warnings=[
                "The organization has only consolidated billing: SCPs need all features. "
                "Enable them in the AWS console (every member account must accept); apply "
                "cannot."
            ]
        )
    expected = dict(expected_accounts or {})
    for pin in blueprint.accounts:
        expected[pin.account_id] = (pin.ou_path, f"pinned in {blueprint.source}")
    attaches, detaches = _attachment_changes(blueprint, live)
    return Plan(
        changes=[
            *_organization_changes(live),
            *_ou_changes(blueprint, live),
            *_policy_changes(blueprint, live),
            *attaches,
            *_account_moves(live, expected),
            *detaches,  # last: no target is left without an SCP in between
        ],
        warnings=_management_warnings(blueprint, live, expected),
        unmanaged_ous=sorted(set(live.ous) - {ou.path for ou in blueprint.walk()}),
    )


def _organization_changes(live: LiveOrg) -> list[Change]:
    changes: list[Change] = []
    if live.organization is None:
        changes.append(
            Change(Action.CREATE_ORGANIZATION, "", "create the organization (all features)")
        )
    if not live.scp_enabled:
        changes.append(Change(Action.ENABLE_SCP, "", "enable service control policies on the root"))
    return changes


def _ou_changes(blueprint: Blueprint, live: LiveOrg) -> list[Change]:
    """The OUs to create, parents first (the blueprint walks its tree top-down)."""
    return [
        Change(Action.CREATE_OU, ou.path, "create OU", ou_path=ou.path)
        for ou in blueprint.walk()
        if ou.path not in live.ous
    ]


def _policy_changes(blueprint: Blueprint, live: LiveOrg) -> list[Change]:
    changes: list[Change] = []
    for name, spec in blueprint.policies.items():
        existing = live.policies.get(name)
        if existing is None:
            changes.append(
                Change(Action.CREATE_POLICY, "policies", f"create SCP {name}", policy=name)
            )
        elif not _same_document(live.contents.get(existing.id, ""), spec.content):
            changes.append(
                Change(
                    Action.UPDATE_POLICY,
                    "policies",
                    f"update SCP {name}",
                    policy=name,
                    diff=_content_diff(live.contents.get(existing.id, ""), spec.content),
                )
            )
    return changes


def _same_document(live: str, desired: str) -> bool:
    """The same policy: equal text, or equal once parsed (AWS keeps a document's
    whitespace as it was sent, e.g. one created from a pretty-printed file)."""
    if live == desired:
        return True
    try:
        return bool(json.loads(live) == json.loads(desired))
    except json.JSONDecodeError:
        return False


def _attachment_changes(blueprint: Blueprint, live: LiveOrg) -> tuple[list[Change], list[Change]]:
    """(attaches, detaches) on the root and every OU of the blueprint."""
    attaches: list[Change] = []
    detaches: list[Change] = []
    for target in ["", *(ou.path for ou in blueprint.walk())]:
        desired = set(blueprint.desired_policies(target))
        attached = _attached_names(live, target)
        attaches.extend(
            Change(Action.ATTACH, target, f"attach {name}", policy=name, ou_path=target)
            for name in sorted(desired - attached)
        )
        detaches.extend(
            Change(Action.DETACH, target, f"detach {name}", policy=name, ou_path=target)
            for name in sorted(attached - desired)
        )
    return attaches, detaches


def _account_moves(live: LiveOrg, expected: dict[str, tuple[str, str]]) -> list[Change]:
    changes: list[Change] = []
    for account_id, (path, label) in sorted(expected.items()):
        parent = live.account_parents.get(account_id)
        if parent is None:
            continue  # not (or no longer) in the organization: drift reports it
        current = live.path_of(parent)
        if current != path:
            changes.append(
                Change(
                    Action.MOVE_ACCOUNT,
                    "accounts",
                    f"move {account_id} ({label}) from {_label(current or '')} to {path}",
                    account_id=account_id,
                    destination=path,
                )
            )
    return changes


def _attached_names(live: LiveOrg, target: str) -> set[str]:
    if target == "":
        target_id = live.root.id if live.root else None
    else:
        ou = live.ous.get(target)
        target_id = ou.id if ou else None
    if target_id is None:
        # Not created yet: AWS attaches FullAWSAccess to every new OU (and to the root
        # when SCPs are enabled).
        return {FULL_AWS_ACCESS}
    if not live.scp_enabled:
        return {FULL_AWS_ACCESS}
    return {live.policy_name(pid) for pid in live.attachments.get(target_id, set())}


def _content_diff(live: str, desired: str) -> str:
    def pretty(text: str) -> list[str]:
        try:
            return json.dumps(json.loads(text), indent=2, sort_keys=True).splitlines()
        except json.JSONDecodeError:
            return text.splitlines()

    return "\n".join(
        difflib.unified_diff(pretty(live), pretty(desired), "live", "blueprint", lineterm="", n=1)
    )


def _management_warnings(
    blueprint: Blueprint, live: LiveOrg, expected: dict[str, tuple[str, str]]
) -> list[str]:
    if live.organization is None:
        return []
    management = live.organization.management_account_id
    path = expected.get(management, (None, ""))[0]
    if path is None:
        parent = live.account_parents.get(management)
        path = live.path_of(parent) if parent else None
    if not path:
        return []
    restricting = (
        [
            name
            for prefix in _ancestors(path)
            for name in blueprint.desired_policies(prefix)
            if name != FULL_AWS_ACCESS
        ]
        if blueprint.ou(path)
        else []
    )
    if not restricting:
        return []
    return [
        f"The management account {management} is in {path}, whose SCPs "
        f"({', '.join(restricting)}) never apply to it: it is not restricted there."
    ]


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def render_plan(plan: Plan, *, organization: str = "") -> str:
    if plan.empty and not plan.warnings:
        return "No changes. The organization matches the blueprint."
    lines: list[str] = []
    groups: dict[str, list[Change]] = {}
    for change in plan.changes:
        groups.setdefault(change.target, []).append(change)
    rank = {"": 0, "policies": 1, "accounts": 3}
    order = sorted(groups, key=lambda t: (rank.get(t, 2), t))
    for target in order:
        titles = {
            "": organization or "Organization and root",
            "policies": "Service control policies",
            "accounts": "Accounts",
        }
        title = titles.get(target, target)
        lines.append(title)
        for change in groups[target]:
            lines.append(f"  {SYMBOL[change.action]} {change.summary}")
            lines.extend(f"      {d}" for d in change.diff.splitlines())
    if plan.unmanaged_ous:
        lines.append("Not in the blueprint (left alone)")
        lines.extend(f"  ? OU {path}" for path in plan.unmanaged_ous)
    if plan.warnings:
        lines.append("Warnings")
        lines.extend(f"  ! {w}" for w in plan.warnings)
    c = plan.counts()
    lines.append(
        f"Plan: {c['add']} to add, {c['change']} to change, {c['move']} to move, "
        f"{c['remove']} to remove."
    )
    return "\n".join(lines)
