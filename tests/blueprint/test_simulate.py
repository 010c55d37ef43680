"""The simulator over the applied blueprint: HIPAA ∩ PCI by SCP inheritance, and the
`org simulate` command."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from django.core.management import CommandError, call_command

from vending.compliance.catalog import load_catalog
from vending.compliance.placement import levels_for_account, levels_for_ou_path
from vending.compliance.simulator import summarize_services

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.serial]


def allowed(gateway, path: str) -> set[str]:
    summary = summarize_services(levels_for_ou_path(gateway, path))
    return {prefix for prefix, s in summary.items() if s.status != "denied"}


def fully_allowed(gateway, path: str) -> set[str]:
    summary = summarize_services(levels_for_ou_path(gateway, path))
    return {prefix for prefix, s in summary.items() if s.status == "allowed"}


def test_hipaa_pci_is_the_intersection_of_hipaa_and_pci(emulator_org):
    hipaa = allowed(emulator_org, "HipaaOU")
    pci = allowed(emulator_org, "PciOU")
    both = allowed(emulator_org, "HipaaOU/HipaaPciOU")
    assert both == hipaa & pci
    assert fully_allowed(emulator_org, "HipaaOU/HipaaPciOU") == (
        fully_allowed(emulator_org, "HipaaOU") & fully_allowed(emulator_org, "PciOU")
    )
    # Not a union: something HIPAA-only and something PCI-only are both denied there.
    assert hipaa - pci and pci - hipaa
    assert not (hipaa - pci) & both and not (pci - hipaa) & both
    # The support prefixes survive the intersection.
    assert set(load_catalog().support_prefixes) <= both
    # And it is what the catalog says the class may use.
    assert both == set(load_catalog().class_prefixes("hipaa_pci"))


def test_general_is_restricted_only_by_the_guardrails(emulator_org):
    summary = summarize_services(levels_for_ou_path(emulator_org, "GeneralOU"))
    assert all(s.status != "denied" for s in summary.values())
    # The guardrail denies LeaveOrganization except to the platform role: a condition the
    # simulator cannot decide without a principal, so it is flagged, not counted.
    assert summary["organizations"].conditional >= 1


def simulate(*args: str) -> str:
    out = io.StringIO()
    call_command("org", "simulate", *args, stdout=out)
    return out.getvalue()


def test_org_simulate_for_a_class_and_a_service(emulator_org):
    out = simulate("--class", "hipaa_pci", "--service", "gamelift")
    assert out.startswith("gamelift for a new hipaa_pci account in HipaaOU/HipaaPciOU: denied")
    assert "vending-class-hipaa" in out  # the first level that denies it, named
    out = simulate("--class", "hipaa_pci", "--action", "s3:GetObject")
    assert "s3:GetObject for a new hipaa_pci account in HipaaOU/HipaaPciOU: allowed" in out


def test_org_simulate_for_an_account(emulator_org):
    c = boto3.client(
        "organizations", endpoint_url=emulator_org.emulator.endpoint_url, region_name="us-east-1"
    )
    management = c.describe_organization()["Organization"]["MasterAccountId"]
    out = simulate("--account", management, "--action", "organizations:LeaveOrganization")
    assert "is the management account: SCPs never restrict it" in out
    assert ": allowed" in out
    levels, is_management = levels_for_account(emulator_org, management)
    assert is_management and levels


def test_org_simulate_refuses_bad_input(emulator_org):
    with pytest.raises(CommandError, match=r"Unknown IAM service prefix"):
        simulate("--class", "pci", "--service", "nosuchservice")
    with pytest.raises(CommandError):
        simulate("--class", "pci", "--action", "not-an-action")


def test_org_simulate_json_answers_many_actions_one_line_each(emulator_org):
    out = simulate(
        "--class", "hipaa_pci", "--json",
        "--action", "s3:GetObject",
        "--action", "gamelift:CreateFleet",
        "--action", "organizations:LeaveOrganization",
    )  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["action"] for line in lines] == [
        "s3:GetObject",
        "gamelift:CreateFleet",
        "organizations:LeaveOrganization",
    ]
    allowed, denied, depends = lines
    assert allowed == {
        "action": "s3:GetObject",
        "decision": "allowed",
        "reason": allowed["reason"],
        "statements": [],
    }
    assert (denied["decision"], denied["kind"]) == ("denied", "explicit")
    assert denied["statements"][0]["policy"] == "vending-class-hipaa"
    assert depends["decision"] == "depends" and "kind" not in depends
    assert depends["statements"][0]["depends_on"] == ["condition"]


def test_org_simulate_json_for_an_account_and_a_service(emulator_org):
    c = boto3.client(
        "organizations", endpoint_url=emulator_org.emulator.endpoint_url, region_name="us-east-1"
    )
    management = c.describe_organization()["Organization"]["MasterAccountId"]
    out = simulate("--account", management, "--json", "--action", "gamelift:CreateFleet")
    [line] = [json.loads(text) for text in out.splitlines()]
    assert line["decision"] == "allowed" and "management account" in line["reason"]
    out = simulate("--class", "general", "--json", "--service", "organizations")
    summary = json.loads(out)
    assert summary["service"] == "organizations" and summary["status"] == "partial"
    assert summary["depends"] >= 1
    assert summary["allowed"] + summary["depends"] + summary["denied"] == summary["total"]


def test_org_simulate_refuses_a_bad_action_among_many(emulator_org):
    with pytest.raises(CommandError, match="Not an IAM action: 'nope'"):
        simulate("--class", "pci", "--json", "--action", "s3:GetObject", "--action", "nope")
