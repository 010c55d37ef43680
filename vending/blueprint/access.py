"""The blueprint's `access:` section: which IAM Identity Center permission sets each
team's IdP group gets on its accounts, per environment, and per class where a class
says otherwise (vending/services/account_access.py assigns them).

    access:
      group_template: "{team}"          # a team without its own IdP group: this name
      permission_sets: [PowerUserAccess, ReadOnlyAccess, BreakGlassAccess]
      environments:                     # every environment, [] for no access
        dev: [PowerUserAccess]
        prod: [ReadOnlyAccess, BreakGlassAccess]
      classes:                          # optional, per class and environment
        pci: {test: [ReadOnlyAccess]}

Every name used must be declared in `permission_sets` (and exist in Identity Center:
the assignment says so when it does not). No section: the portal manages no access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vending.choices import ComplianceClass, Environment

# CreatePermissionSet's Name: 1-32 of [\w+=,.@-].
PERMISSION_SET_NAME = re.compile(r"[\w+=,.@-]{1,32}")
_KEYS = {"group_template", "permission_sets", "environments", "classes"}
DEFAULT_GROUP_TEMPLATE = "{team}"


@dataclass(frozen=True)
class AccessSpec:
    permission_sets: tuple[str, ...]
    environments: dict[str, tuple[str, ...]]
    classes: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    group_template: str = DEFAULT_GROUP_TEMPLATE

    def permission_sets_for(self, *, compliance_class: str, environment: str) -> tuple[str, ...]:
        """The permission sets of an account of this class and environment (none for an
        account without an environment, e.g. imported)."""
        per_class = self.classes.get(compliance_class, {})
        if environment in per_class:
            return per_class[environment]
        return self.environments.get(environment, ())

    def group_for(self, *, team_slug: str, idp_group: str) -> str:
        """The team's IdP group: its own, else the template's name for it."""
        return idp_group or self.group_template.format(team=team_slug)


def parse_access(raw: Any, problems: list[str]) -> AccessSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("access: must be a mapping (permission_sets, environments, ...)")
        return None
    for key in sorted(set(raw) - _KEYS):
        problems.append(f"access: unknown key '{key}' (allowed: {', '.join(sorted(_KEYS))})")
    declared = _declared(raw.get("permission_sets"), problems)
    environments = _mapping(
        raw.get("environments"), "access.environments", declared, problems, complete=True
    )
    classes: dict[str, dict[str, tuple[str, ...]]] = {}
    per_class = raw.get("classes") or {}
    if not isinstance(per_class, dict):
        problems.append("access.classes: must map compliance classes to environments")
        per_class = {}
    for cls, mapping in per_class.items():
        if cls not in ComplianceClass.values:
            known = ", ".join(ComplianceClass.values)
            problems.append(f"access.classes.{cls}: unknown compliance class (known: {known})")
            continue
        classes[str(cls)] = _mapping(
            mapping, f"access.classes.{cls}", declared, problems, complete=False
        )
    template = str(raw.get("group_template", DEFAULT_GROUP_TEMPLATE))
    try:
        sample = template.format(team="checkout")
    except (KeyError, IndexError, ValueError):
        problems.append(
            f"access.group_template: '{template}' may only use {{team}} (the team's slug)"
        )
        sample = "x"
    if not 1 <= len(sample) <= 128:
        problems.append("access.group_template: a group name is 1-128 characters")
    return AccessSpec(
        permission_sets=declared,
        environments=environments,
        classes=classes,
        group_template=template,
    )


def _declared(raw: Any, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        problems.append(
            "access.permission_sets: must list the permission sets' names, as Identity "
            "Center spells them"
        )
        return ()
    for name in raw:
        if not PERMISSION_SET_NAME.fullmatch(name):
            problems.append(
                f"access.permission_sets: '{name}' is not a permission set name "
                "(1-32 letters, digits and +=,.@_-)"
            )
    if len(set(raw)) != len(raw):
        problems.append("access.permission_sets: a name is listed twice")
    return tuple(raw)


def _mapping(
    raw: Any, where: str, declared: tuple[str, ...], problems: list[str], *, complete: bool
) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must map environments to lists of permission sets")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for env, names in raw.items():
        if env not in Environment.values:
            known = ", ".join(Environment.values)
            problems.append(f"{where}.{env}: unknown environment (known: {known})")
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            problems.append(f"{where}.{env}: must be a list of permission set names ([]: none)")
            continue
        for name in names:
            if name not in declared:
                problems.append(
                    f"{where}.{env}: unknown permission set '{name}' (declared in "
                    f"access.permission_sets: {', '.join(declared) or 'none'})"
                )
        if len(set(names)) != len(names):
            problems.append(f"{where}.{env}: a permission set is listed twice")
        out[str(env)] = tuple(dict.fromkeys(names))
    if complete:
        for env in Environment.values:
            if env not in raw:
                problems.append(
                    f"{where}.{env}: missing; every environment needs its permission sets "
                    "([] for no access)"
                )
    return out
