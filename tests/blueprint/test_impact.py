"""Change impact: `org plan` says which accounts gain or lose which services.

Against moto in-process (the gateway's real calls): an organization with the default
blueprint applied, accounts created and moved with boto3, then a blueprint that changes
a policy. The answers are the simulator's, before and after, per service.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import boto3
import pytest
import yaml
from django.core.management import call_command

from tests.blueprint.test_plan_apply import tree as ou_tree
from vending.blueprint.loader import DEFAULT_BLUEPRINT, load_blueprint
from vending.services.org_blueprint import org_blueprint_apply, org_blueprint_plan

pytestmark = pytest.mark.django_db

TEAM_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "bedrock:*", "sts:*"], "Resource": "*"}],
}


def blueprint_file(tmp_path: Path, name: str, team_actions: list[str]) -> Path:
    """The default blueprint plus an allow-list policy on HipaaOU (FullAWSAccess off)."""
    raw = yaml.safe_load(DEFAULT_BLUEPRINT.read_text())
    for policy in raw["policies"]:
        if "file" in policy:
            policy["file"] = str(DEFAULT_BLUEPRINT.parent / policy["file"])
    document = json.loads(json.dumps(TEAM_POLICY))
    document["Statement"][0]["Action"] = team_actions
    raw["policies"].append({"name": "team-allow", "document": document})
    hipaa = next(ou for ou in raw["organizational_units"] if ou["name"] == "HipaaOU")
    hipaa["policies"] = ["team-allow"]
    hipaa["full_aws_access"] = False
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def make_accounts(c, path: str, count: int, prefix: str) -> list[str]:
    paths = ou_tree(c)
    ids = []
    for i in range(count):
        status = c.create_account(AccountName=f"{prefix}-{i}", Email=f"{prefix}-{i}@example.com")
        account_id = status["CreateAccountStatus"]["AccountId"]  # moto: synchronous
        c.move_account(
            AccountId=account_id, SourceParentId=paths[""], DestinationParentId=paths[path]
        )
        ids.append(account_id)
    return ids


@pytest.fixture
def org_with_team_policy(moto_gateway, tmp_path):
    before = blueprint_file(tmp_path, "before", ["s3:*", "bedrock:*", "sts:*"])
    org_blueprint_apply(gateway=moto_gateway, blueprint=load_blueprint(before))
    c = boto3.client("organizations", region_name="us-east-1")
    accounts = {
        "HipaaOU": make_accounts(c, "HipaaOU", 3, "hipaa"),
        "HipaaOU/HipaaPciOU": make_accounts(c, "HipaaOU/HipaaPciOU", 2, "both"),
        "GeneralOU": make_accounts(c, "GeneralOU", 2, "general"),
    }
    return moto_gateway, c, accounts


def plan_output(path: Path) -> str:
    out = io.StringIO()
    with contextlib.suppress(SystemExit):
        call_command("org", "plan", "--blueprint", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.slow
def test_removing_a_service_from_an_scp_shows_the_accounts_losing_it(
    org_with_team_policy, tmp_path
):
    gateway, _, accounts = org_with_team_policy
    after = load_blueprint(blueprint_file(tmp_path, "after", ["sts:*"]))

    impact = org_blueprint_plan(gateway=gateway, blueprint=after, with_impact=True).impact

    by_path = {g.ou_path: g for g in impact.groups}
    assert set(by_path) == {"HipaaOU", "HipaaOU/HipaaPciOU"}  # GeneralOU is untouched
    hipaa = by_path["HipaaOU"]
    assert sorted(hipaa.account_ids) == sorted(accounts["HipaaOU"])
    assert hipaa.classes == ("hipaa",)
    assert hipaa.lose == ("bedrock", "s3") and hipaa.gain == ()
    assert hipaa.sentence() == "HipaaOU (hipaa): 3 accounts lose `bedrock`, `s3`, gain nothing"
    # Below HipaaOU the PCI policy denies bedrock already: those accounts lose only s3.
    both = by_path["HipaaOU/HipaaPciOU"]
    assert sorted(both.account_ids) == sorted(accounts["HipaaOU/HipaaPciOU"])
    assert both.lose == ("s3",)
    # Five accounts, two OU paths: one simulation per path and side, not per account.
    assert impact.accounts_checked == 5
    assert impact.simulations == 4

    text = plan_output(blueprint_file(tmp_path, "after-cmd", ["sts:*"]))
    assert "~ update SCP team-allow" in text
    assert "HipaaOU (hipaa): 3 accounts lose `bedrock`, `s3`, gain nothing" in text
    assert "HipaaOU/HipaaPciOU (hipaa_pci): 2 accounts lose `s3`, gain nothing" in text


@pytest.mark.slow
def test_adding_a_service_is_a_gain_and_an_account_level_deny_is_respected(
    org_with_team_policy, tmp_path
):
    gateway, c, accounts = org_with_team_policy
    # One HIPAA account already has ec2 denied by a policy attached to it directly.
    deny = c.create_policy(
        Name="no-ec2",
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["PolicySummary"]["Id"]
    special = accounts["HipaaOU"][0]
    c.attach_policy(PolicyId=deny, TargetId=special)
    after = load_blueprint(
        blueprint_file(tmp_path, "after", ["s3:*", "bedrock:*", "sts:*", "ec2:*"])
    )

    impact = org_blueprint_plan(gateway=gateway, blueprint=after, with_impact=True).impact

    hipaa = [g for g in impact.groups if g.ou_path == "HipaaOU"]
    assert [(g.account_ids, g.gain, g.lose) for g in hipaa] == [
        (tuple(sorted(set(accounts["HipaaOU"]) - {special})), ("ec2",), ())
    ]


@pytest.mark.slow
def test_a_plan_without_scp_changes_shows_no_impact(org_with_team_policy, tmp_path):
    gateway, _, _ = org_with_team_policy
    same = blueprint_file(tmp_path, "same", ["s3:*", "bedrock:*", "sts:*"])
    current = org_blueprint_plan(gateway=gateway, blueprint=load_blueprint(same), with_impact=True)
    assert current.plan.empty and current.impact.empty
    assert plan_output(same) == "No changes. The organization matches the blueprint.\n"

    # A new, empty OU is a change, but nobody's services change.
    raw = yaml.safe_load(same.read_text())
    raw["organizational_units"].append({"name": "SandboxOU"})
    more = tmp_path / "more.yaml"
    more.write_text(yaml.safe_dump(raw))
    current = org_blueprint_plan(gateway=gateway, blueprint=load_blueprint(more), with_impact=True)
    assert not current.plan.empty and current.impact.empty
    text = plan_output(more)
    assert "+ create OU" in text
    assert "Impact: no account gains or loses a service." in text


@pytest.mark.slow
def test_apply_prints_the_impact_before_asking(org_with_team_policy, tmp_path, monkeypatch):
    after = blueprint_file(tmp_path, "after", ["sts:*"])
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(out.getvalue())
        return "no"

    monkeypatch.setattr("builtins.input", answer)
    with pytest.raises(Exception, match="Not applied"):
        call_command("org", "apply", "--blueprint", str(after), stdout=out)
    assert "HipaaOU (hipaa): 3 accounts lose `bedrock`, `s3`, gain nothing" in prompts[0]
