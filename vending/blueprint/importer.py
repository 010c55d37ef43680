"""Import: the blueprint that reproduces a live organization, as it is.

Pure: it turns a snapshot of the organization (its OUs, the SCPs attached to the root
and to each OU with their documents, and the SCPs attached directly to accounts) into
the blueprint file's data, so that `org plan` against the same organization answers
"no changes". What the blueprint cannot say is listed by name, never dropped silently:
SCPs attached directly to accounts (the blueprint manages the root and OUs), AWS-managed
SCPs other than FullAWSAccess, and documents the blueprint's validation refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vending.blueprint.live import LiveOrg
from vending.blueprint.loader import limits
from vending.blueprint.model import FULL_AWS_ACCESS
from vending.blueprint.policy_check import check_policy_document
from vending.choices import ComplianceClass


@dataclass(frozen=True)
class Unexpressed:
    """Something of the organization the blueprint does not reproduce, and why."""

    name: str  # the policy's (or OU's) name
    reason: str
    where: tuple[str, ...] = ()  # OU paths ("" root) or account ids it is attached to

    def line(self) -> str:
        where = ", ".join(w or "Root" for w in self.where)
        return f"{self.name}: {self.reason}" + (f" (attached to {where})" if where else "")


@dataclass
class ImportedBlueprint:
    raw: dict[str, Any]  # the blueprint file's data, ready for YAML
    classes: dict[str, str]  # compliance class -> OU path
    unexpressed: list[Unexpressed] = field(default_factory=list)
    missing_classes: list[str] = field(default_factory=list)


def _targets_of(live: LiveOrg) -> dict[str, str]:
    """Target id -> OU path ("" for the root)."""
    out = {ou.id: path for path, ou in live.ous.items()}
    if live.root is not None:
        out[live.root.id] = ""
    return out


def _policy_entry(
    name: str, description: str, content: str, max_size: int
) -> tuple[dict[str, Any] | None, str]:
    """The blueprint's entry for a live SCP, or None and why it cannot be one."""
    try:
        document = json.loads(content)
    except json.JSONDecodeError as exc:
        return None, f"its document is not JSON ({exc.msg})"
    if not isinstance(document, dict):
        return None, "its document is not a JSON object"
    problems = check_policy_document(document)
    if problems:
        return None, "the blueprint's validation refuses it: " + "; ".join(problems)
    minified = json.dumps(document, separators=(",", ":"))
    if len(minified) > max_size:
        return None, f"{len(minified)} characters minified, over VENDING_SCP_MAX_SIZE {max_size}"
    entry: dict[str, Any] = {"name": name}
    if description:
        entry["description"] = description[:512]
    entry["document"] = document
    return entry, ""


def _ou_tree(live: LiveOrg, attached: Mapping[str, list[str]], skipped: set[str]) -> list[Any]:
    """Nested `organizational_units` entries, children sorted by name."""
    children: dict[str, list[str]] = {}
    for path in sorted(live.ous):
        parent = path.rpartition("/")[0]
        children.setdefault(parent, []).append(path)

    def entry(path: str) -> dict[str, Any]:
        out: dict[str, Any] = {"name": live.ous[path].name}
        names = attached.get(path, [])
        listed = [n for n in names if n != FULL_AWS_ACCESS and n not in skipped]
        if listed:
            out["policies"] = listed
        if FULL_AWS_ACCESS not in names:
            out["full_aws_access"] = False
        kids = [entry(child) for child in children.get(path, [])]
        if kids:
            out["children"] = kids
        return out

    return [entry(path) for path in children.get("", [])]


def blueprint_from_live(
    live: LiveOrg,
    *,
    documents: Mapping[str, str],
    account_policies: Mapping[str, tuple[str, ...]],
    classes: Mapping[str, str],
) -> ImportedBlueprint:
    """The blueprint that reproduces `live`.

    `documents`: every attached SCP's content by policy id. `account_policies`: SCP
    names attached directly to each account. `classes`: the compliance class -> OU path
    mapping wanted; classes whose OU the organization lacks are listed as missing.

    Long because it is one pass over every target and policy that collects what the
    blueprint can and cannot say, in the file's order.
    """
    _, max_size, _ = limits()
    targets = _targets_of(live)
    attached: dict[str, list[str]] = {}
    where: dict[str, list[str]] = {}
    for target_id, policy_ids in live.attachments.items():
        path = targets.get(target_id)
        if path is None:
            continue
        names = sorted(live.policy_name(pid) for pid in policy_ids)
        attached[path] = names
        for name in names:
            where.setdefault(name, []).append(path)
    unexpressed: list[Unexpressed] = []
    skipped: set[str] = set()
    policies: list[dict[str, Any]] = []
    for name in sorted(where):
        if name == FULL_AWS_ACCESS:
            continue
        summary = live.policies[name]
        entry, why = (
            (None, "an AWS-managed SCP other than FullAWSAccess")
            if summary.aws_managed
            else _policy_entry(name, summary.description, documents.get(summary.id, ""), max_size)
        )
        if entry is None:
            unexpressed.append(Unexpressed(name, why, tuple(sorted(where[name]))))
            skipped.add(name)
        else:
            policies.append(entry)
    by_account: dict[str, list[str]] = {}
    for account_id, own in account_policies.items():
        for name in own:
            if name != FULL_AWS_ACCESS:
                by_account.setdefault(name, []).append(account_id)
    unexpressed.extend(
        Unexpressed(
            name,
            "attached directly to accounts; the blueprint attaches SCPs to the root and "
            "OUs only (left as it is)",
            tuple(sorted(ids)),
        )
        for name, ids in sorted(by_account.items())
    )
    root_names = attached.get("", [FULL_AWS_ACCESS])
    root: dict[str, Any] = {
        "policies": [n for n in root_names if n != FULL_AWS_ACCESS and n not in skipped]
    }
    if FULL_AWS_ACCESS not in root_names:
        root["full_aws_access"] = False
    allow_list = any(FULL_AWS_ACCESS not in names for names in attached.values())
    known = set(live.ous)
    mapped = {cls: path for cls, path in classes.items() if path in known}
    raw: dict[str, Any] = {
        "version": 1,
        "feature_set": "ALL",
        "strategy": "allow_list" if allow_list else "deny_list",
        "policies": policies,
        "root": root,
        "organizational_units": _ou_tree(live, attached, skipped),
        "classes": {cls: mapped[cls] for cls in ComplianceClass.values if cls in mapped},
        "accounts": [],
    }
    return ImportedBlueprint(
        raw=raw,
        classes=mapped,
        unexpressed=unexpressed,
        missing_classes=[cls for cls in ComplianceClass.values if cls not in mapped],
    )
