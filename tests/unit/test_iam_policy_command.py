"""`manage.py iam_policy`: valid policy JSON, one statement (or a scoped pair) per
capability, the web role reading only, clear refusals of bad options."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from vending.aws.permissions import WEB, WORKER, capabilities_for
from vending.compliance.iam import action_access_level, action_resource_formats

SID = re.compile(r"^[A-Za-z0-9]+$")  # IAM's rule for a statement id


def _policy(*args: str) -> dict:
    out = io.StringIO()
    call_command("iam_policy", *args, stdout=out)
    return json.loads(out.getvalue())


def _check_grammar(policy: dict) -> None:
    assert set(policy) == {"Version", "Statement"} and policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in policy["Statement"]:
        assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
        assert SID.match(statement["Sid"]) and statement["Effect"] == "Allow"
        assert statement["Action"] and all("*" not in a for a in statement["Action"])
        resources = statement["Resource"]
        assert resources == "*" or (
            isinstance(resources, list) and all(r.startswith("arn:aws:") for r in resources)
        )


@pytest.mark.parametrize("role", [WORKER, WEB])
def test_the_policy_is_valid_and_has_a_statement_per_capability(role):
    policy = _policy("--role", role)
    _check_grammar(policy)
    sids = {s["Sid"].removesuffix("Scoped") for s in policy["Statement"]}
    assert sids == {c.sid for c in capabilities_for(role)}


def test_the_worker_policy_has_the_capabilities_of_the_portal():
    sids = {s["Sid"] for s in _policy("--role", "worker")["Statement"]}
    for capability in ("Vending", "Placement", "BlueprintApply", "DriftAndPlan", "Lifecycle"):
        assert capability in sids
    creating = next(s for s in _policy()["Statement"] if s["Sid"] == "Vending")
    assert "organizations:CreateAccount" in creating["Action"] and creating["Resource"] == "*"


def test_the_web_policy_has_no_write_action():
    actions = [a for s in _policy("--role", "web")["Statement"] for a in s["Action"]]
    assert actions and {action_access_level(a) for a in actions} <= {"List", "Read"}
    assert "organizations:CreateAccount" not in actions


def test_scoped_statements_name_the_organization_and_management_account():
    policy = _policy("--organization-id", "o-abcdefghij", "--account-id", "123456789012")
    scoped = [s for s in policy["Statement"] if s["Resource"] != "*"]
    assert scoped
    for statement in scoped:
        for arn in statement["Resource"]:
            if arn.endswith(":aws:policy/service_control_policy/p-FullAWSAccess"):
                continue
            # An ARN with an account field names the management account (Identity
            # Center's have none); Organizations' also name the organization.
            assert arn.split(":")[4] in ("", "123456789012"), arn
            if arn.startswith("arn:aws:organizations:"):
                assert "/o-abcdefghij/" in arn
        for action in statement["Action"]:
            assert action_resource_formats(action), f"{action} takes no resource type"
    moving = next(s for s in scoped if "organizations:MoveAccount" in s["Action"])
    assert "arn:aws:organizations::123456789012:account/o-abcdefghij/*" in moving["Resource"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account-id", "12"], "not an AWS account id"),
        (["--organization-id", "abc"], "not an organization id"),
        (["--role", "caller"], "VENDING_ORG_ROLE_ARN is not set"),
    ],
)
def test_bad_options_are_refused_clearly(args, message):
    with pytest.raises(CommandError, match=message):
        _policy(*args)


def test_the_caller_may_assume_the_configured_role_only(settings):
    settings.VENDING_ORG_ROLE_ARN = "arn:aws:iam::123456789012:role/vending-org"
    (statement,) = _policy("--role", "caller")["Statement"]
    assert statement["Action"] == ["sts:AssumeRole"]
    assert statement["Resource"] == ["arn:aws:iam::123456789012:role/vending-org"]


def test_the_summary_names_the_gateway_methods():
    out = io.StringIO()
    call_command("iam_policy", "--role", "worker", "--summary", stdout=out)
    assert "OrganizationsGateway.create_account" in out.getvalue()
