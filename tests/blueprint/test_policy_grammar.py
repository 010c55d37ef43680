"""The SCP validator against AWS's policy grammar, and against the portal's own generator."""

from __future__ import annotations

from typing import Any

import pytest

from vending.blueprint.policy_check import check_action, check_policy_document
from vending.compliance.catalog import load_catalog
from vending.compliance.scp import (
    STRATEGIES,
    class_scp_document,
    class_scp_documents,
    compress_actions,
    scp_size,
    wildcard_groups,
)

PROGRAMS = ("hipaa", "pci", "hipaa_pci")


def document(**statement: Any) -> dict[str, Any]:
    base = {"Sid": "Guard", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    base.update(statement)
    return {
        "Version": "2012-10-17",
        "Statement": [{k: v for k, v in base.items() if v is not None}],
    }


# 8: what the generator writes, the validator accepts -------------------------------------


def test_8_a_wildcard_prefix_is_accepted_when_it_matches_a_known_prefix() -> None:
    assert check_action("route53-recovery-*:*") is None
    assert check_action("route53-recovery-?ontrol-config:List*") is None
    assert check_action("*:Describe*") is None
    assert "matches no known IAM service prefix" in str(check_action("nosuch*:*"))
    assert "matches no action" in str(check_action("route53-recovery-*:Frobnicate*"))


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_8_every_compressed_class_scp_validates(program: str, strategy: str) -> None:
    prefixes = load_catalog().class_prefixes(program)
    assert prefixes
    fully = compress_actions(prefixes)  # every wildcard group merged
    assert any("*:*" in action and action != "*:*" for action in fully)
    key = "NotAction" if strategy == "deny_list" else "Action"
    effect = "Deny" if strategy == "deny_list" else "Allow"
    statement = {"Sid": "Forced", "Effect": effect, key: fully, "Resource": "*"}
    assert check_policy_document({"Version": "2012-10-17", "Statement": [statement]}) == []

    # Through the generator itself, with a limit that leaves it no choice but to compress.
    plain = class_scp_document(program=program, strategy=strategy, limit=100_000)
    forced_limit = scp_size(plain) - 1
    compressed = class_scp_document(program=program, strategy=strategy, limit=forced_limit)
    assert compressed != plain and scp_size(compressed) <= forced_limit
    assert check_policy_document(compressed) == []


@pytest.mark.parametrize("program", PROGRAMS)
def test_8_a_split_allow_list_validates_part_by_part(program: str) -> None:
    parts = class_scp_documents(
        program=program, strategy="allow_list", limit=1200, max_per_target=50
    )
    assert len(parts) > 1
    for part in parts:
        assert check_policy_document(part) == []


def test_8_every_wildcard_group_the_generator_may_use_validates() -> None:
    catalog = load_catalog()
    for program in PROGRAMS:
        for stem, _covered in wildcard_groups(catalog.class_prefixes(program) or ()):
            assert check_action(f"{stem}*:*") is None, stem


# 9: what AWS's grammar refuses, the validator refuses ------------------------------------


def test_9_a_statement_needs_resource_or_not_resource() -> None:
    problems = check_policy_document(document(Resource=None))
    assert problems == ["statement Guard: needs exactly one of Resource or NotResource"]
    both = check_policy_document(document(NotResource="arn:aws:s3:::data"))
    assert both == ["statement Guard: needs exactly one of Resource or NotResource"]
    assert check_policy_document(document(Resource=None, NotResource="arn:aws:s3:::data")) == []


@pytest.mark.parametrize(
    "operator",
    ["StringLikeish", "stringequals", "StringEqualsIfExistsIfExists", "ForEveryValue:StringLike",
     "NullIfExists", "ForAnyValue:Null", ""],
)  # fmt: skip
def test_9_an_unknown_condition_operator_is_refused(operator: str) -> None:
    problems = check_policy_document(document(Condition={operator: {"aws:PrincipalTag/team": "x"}}))
    assert problems == [f"statement Guard: unknown condition operator '{operator}'"]


@pytest.mark.parametrize(
    "operator",
    ["StringEquals", "StringNotLike", "StringEqualsIgnoreCase", "NumericLessThanEquals",
     "DateGreaterThan", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnLike",
     "ArnNotEquals", "Null", "StringLikeIfExists", "ArnNotLikeIfExists",
     "ForAllValues:StringLike", "ForAnyValue:StringEqualsIfExists"],
)  # fmt: skip
def test_9_every_iam_condition_operator_is_accepted(operator: str) -> None:
    assert (
        check_policy_document(document(Condition={operator: {"aws:PrincipalTag/team": "x"}})) == []
    )


@pytest.mark.parametrize(
    "condition",
    ["StringEquals", {"StringEquals": "aws:PrincipalTag/team"}, {"StringEquals": {}}],
)
def test_9_a_malformed_condition_block_is_refused(condition: Any) -> None:
    problems = check_policy_document(document(Condition=condition))
    assert len(problems) == 1 and "Condition" in problems[0]


@pytest.mark.parametrize("sid", ["Deny all", "Deny-All", "guard!", "Nö", "", 7])
def test_9_a_sid_must_be_alphanumeric(sid: Any) -> None:
    problems = check_policy_document(document(Sid=sid))
    where = sid if isinstance(sid, str) and sid else "#0"
    assert problems == [f"statement {where}: Sid must be letters and digits only (A-Z, a-z, 0-9)"]


def test_9_sids_are_unique_within_a_policy() -> None:
    doc = document()
    doc["Statement"].append(dict(doc["Statement"][0]))
    assert check_policy_document(doc) == ["statement Guard: Sid 'Guard' is used twice"]


@pytest.mark.parametrize("resource", ["s3:::data", ["*", "bucket"]])
def test_a_resource_is_star_or_an_arn(resource: Any) -> None:
    problems = check_policy_document(document(Resource=resource))
    assert len(problems) == 1 and "is neither" in problems[0]
