"""plan / apply / drift against a fresh emulator, checked with boto3 alone."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
import yaml
from django.core.management import CommandError, call_command

from vending.blueprint.loader import DEFAULT_BLUEPRINT, load_blueprint

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.serial]


def org(cmd: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("org", cmd, *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def client(gateway):
    return boto3.client(
        "organizations", endpoint_url=gateway.emulator.endpoint_url, region_name="us-east-1"
    )


def tree(c) -> dict[str, str]:
    """OU path -> id, read with boto3 alone."""
    root = c.list_roots()["Roots"][0]["Id"]
    paths, pending = {"": root}, [("", root)]
    while pending:
        parent_path, parent_id = pending.pop()
        for ou in c.list_organizational_units_for_parent(ParentId=parent_id)["OrganizationalUnits"]:
            path = f"{parent_path}/{ou['Name']}".lstrip("/")
            paths[path] = ou["Id"]
            pending.append((path, ou["Id"]))
    return paths


def attached(c, target_id: str) -> set[str]:
    return {
        p["Name"]
        for p in c.list_policies_for_target(TargetId=target_id, Filter="SERVICE_CONTROL_POLICY")[
            "Policies"
        ]
    }


def test_plan_apply_and_nothing_left_to_do(emulator_gateway):
    code, out = org("plan", "--exit-code")
    assert code == 2
    assert "+ create the organization" in out
    for path in ("GeneralOU", "HipaaOU", "HipaaOU/HipaaPciOU", "PciOU", "SuspendedOU"):
        assert f"{path}\n  + create OU" in out
    assert "+ create SCP vending-class-hipaa" in out

    code, out = org("apply", "--yes")
    assert code == 0, out
    assert org("plan", "--exit-code") == (
        0,
        "No changes. The organization matches the blueprint.\n",
    )

    c = client(emulator_gateway)
    paths = tree(c)
    root_children = {
        ou["Name"]
        for ou in c.list_organizational_units_for_parent(ParentId=paths[""])["OrganizationalUnits"]
    }
    assert root_children == {"GeneralOU", "HipaaOU", "PciOU", "SuspendedOU"}
    assert "HipaaOU/HipaaPciOU" in paths
    assert attached(c, paths["HipaaOU"]) == {"FullAWSAccess", "vending-class-hipaa"}
    assert attached(c, paths["HipaaOU/HipaaPciOU"]) == {"FullAWSAccess", "vending-class-pci"}
    assert attached(c, paths["PciOU"]) == {"FullAWSAccess", "vending-class-pci"}
    assert attached(c, paths["SuspendedOU"]) == {"FullAWSAccess", "vending-suspended-deny-all"}
    assert {"vending-guardrail-organization", "vending-guardrail-security-services"} <= attached(
        c, paths[""]
    )
    for target_id in paths.values():
        assert attached(c, target_id), f"{target_id} has no SCP"


def test_a_hand_detached_class_scp_is_drift_and_apply_repairs_it(emulator_gateway):
    org("apply", "--yes")
    c = client(emulator_gateway)
    paths = tree(c)
    policy = next(
        p for p in c.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        if p["Name"] == "vending-class-hipaa"
    )  # fmt: skip
    c.detach_policy(PolicyId=policy["Id"], TargetId=paths["HipaaOU"])

    code, out = org("plan", "--exit-code")
    assert code == 2
    assert "HipaaOU\n  + attach vending-class-hipaa" in out
    code, out = org("drift", "--exit-code")
    assert code == 0  # seen once: not reported yet
    assert "new   SCP detached by hand" in out
    code, out = org("drift", "--exit-code")
    assert code == 2
    assert "DRIFT SCP detached by hand" in out and "attach vending-class-hipaa" in out

    org("apply", "--yes")
    assert attached(c, paths["HipaaOU"]) == {"FullAWSAccess", "vending-class-hipaa"}
    code, out = org("drift", "--exit-code")
    assert code == 0
    assert "fixed SCP detached by hand" in out


def test_hand_edits_and_hand_attachments_are_drift(emulator_gateway):
    org("apply", "--yes")
    c = client(emulator_gateway)
    paths = tree(c)
    pci = next(
        p for p in c.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        if p["Name"] == "vending-class-pci"
    )  # fmt: skip
    c.update_policy(
        PolicyId=pci["Id"],
        Content='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    )
    c.attach_policy(PolicyId=pci["Id"], TargetId=paths["GeneralOU"])
    code, out = org("plan", "--exit-code")
    assert code == 2
    assert "~ update SCP vending-class-pci" in out
    # The content diff, live (hand-edited Allow) against the blueprint's Deny.
    assert '-      "Effect": "Allow",' in out
    assert '+      "Effect": "Deny",' in out
    assert "GeneralOU\n  - detach vending-class-pci" in out
    org("apply", "--yes")
    assert org("plan", "--exit-code")[0] == 0
    assert attached(c, paths["GeneralOU"]) == {"FullAWSAccess"}


def test_an_invalid_blueprint_sends_nothing_to_aws(emulator_gateway, tmp_path, settings):
    settings.VENDING_OU_MAX_DEPTH = 1
    before = emulator_gateway.stats()["calls"]
    with pytest.raises(CommandError, match="HipaaOU/HipaaPciOU: 2 levels below the root"):
        call_command("org", "apply", "--yes", "--blueprint", str(DEFAULT_BLUEPRINT))
    assert emulator_gateway.stats()["calls"] == before


def allow_list_blueprint(tmp_path: Path) -> Path:
    source = Path(load_blueprint().source)
    raw = yaml.safe_load(source.read_text())
    raw["strategy"] = "allow_list"
    for policy in raw["policies"]:
        if "file" in policy:
            policy["file"] = str(source.parent / policy["file"])
    path = tmp_path / "allow.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_allow_list_strategy_detaches_full_aws_access_after_attaching(emulator_gateway, tmp_path):
    org("apply", "--yes")  # deny-list first: switching strategy is a real operation
    path = allow_list_blueprint(tmp_path)
    code, out = org("plan", "--blueprint", str(path))
    assert "HipaaOU\n  - detach FullAWSAccess" in out
    assert out.index("~ update SCP vending-class-hipaa") < out.index("- detach FullAWSAccess")
    # The emulator refuses to detach a target's last SCP: apply must order it right.
    code, out = org("apply", "--yes", "--blueprint", str(path))
    assert code == 0, out
    c = client(emulator_gateway)
    paths = tree(c)
    assert attached(c, paths["HipaaOU"]) == {"vending-class-hipaa"}
    assert attached(c, paths["HipaaOU/HipaaPciOU"]) == {"vending-class-pci"}
    assert attached(c, paths["GeneralOU"]) == {"FullAWSAccess"}
    assert org("plan", "--exit-code", "--blueprint", str(path))[0] == 0


def test_accounts_in_the_wrong_ou_and_unknown_accounts(emulator_gateway, users, team):
    from vending.models import AccountRequest, VendedAccount

    org("apply", "--yes")
    c = client(emulator_gateway)
    paths = tree(c)
    vended = c.create_account(AccountName="checkout-dev", Email="aws+checkout-dev@example.com")
    stranger = c.create_account(AccountName="shadow-it", Email="shadow@example.com")
    import time

    def account_id(car):
        for _ in range(50):
            status = c.describe_create_account_status(
                CreateAccountRequestId=car["CreateAccountStatus"]["Id"]
            )["CreateAccountStatus"]
            if status["State"] == "SUCCEEDED":
                return status["AccountId"]
            time.sleep(0.05)
        raise AssertionError("not created")

    vended_id, stranger_id = account_id(vended), account_id(stranger)
    request = AccountRequest.objects.create(
        team=team, requester=users["lead"], compliance_class="hipaa", environments=["dev"],
        justification="x", status="completed",
    )  # fmt: skip
    VendedAccount.objects.create(
        request=request, environment="dev", name="checkout-dev",
        email="aws+checkout-dev@example.com", target_ou_path="HipaaOU", status="ready",
        account_id=vended_id,
    )  # fmt: skip
    # The vended account sits in the root, not in HipaaOU.
    code, out = org("plan", "--exit-code")
    assert code == 2
    assert f"> move {vended_id} (checkout-dev) from Root to HipaaOU" in out
    org("drift")
    code, out = org("drift")
    assert "DRIFT Account in the wrong OU" in out
    assert "DRIFT Account nobody requested" in out
    assert f"account {stranger_id} (shadow-it, shadow@example.com) was not created" in out
    org("apply", "--yes")
    parent = c.list_parents(ChildId=vended_id)["Parents"][0]["Id"]
    assert parent == paths["HipaaOU"]


def test_management_account_in_a_restricted_ou_is_a_warning(emulator_gateway):
    org("apply", "--yes")
    c = client(emulator_gateway)
    paths = tree(c)
    management = c.describe_organization()["Organization"]["MasterAccountId"]
    c.move_account(
        AccountId=management, SourceParentId=paths[""], DestinationParentId=paths["PciOU"]
    )
    _, out = org("plan")
    assert f"! The management account {management} is in PciOU" in out
    assert "never apply to it" in out
