"""`org import`: the blueprint of an organization built by hand, and its accounts.

Two organizations: one built the way the seed walkthrough builds it (boto3 against moto:
HipaaOU, PciOU, GeneralOU, a PCI sub-OU under HipaaOU, allow-list SCPs written as
pretty-printed files, FullAWSAccess detached), and the emulator's demo organization (the
default blueprint applied, accounts seeded and moved). Each is imported, then planned
with the written file: no changes.
"""

from __future__ import annotations

import io
import json

import boto3
import pytest
import yaml
from django.core.management import CommandError, call_command

from vending.choices import AccountOrigin, AccountStatus, AuditAction
from vending.models import AuditEvent, VendedAccount

pytestmark = pytest.mark.django_db

HIPAA_ALLOW = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "HipaaServices", "Effect": "Allow", "Action": ["s3:*", "ec2:*", "sts:*", "iam:*"],
         "Resource": "*"}
    ],
}  # fmt: skip
PCI_ALLOW = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:*", "iam:*"], "Resource": "*"}],
}


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("org", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def build_seed_way(c) -> dict[str, list[str]]:
    """The walkthrough's commands, one by one; answers the account ids per OU path."""
    c.create_organization(FeatureSet="ALL")
    root = c.list_roots()["Roots"][0]["Id"]
    c.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ids = {}
    for name in ("HipaaOU", "PciOU", "GeneralOU"):
        ou = c.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]
        ids[name] = ou["Id"]
    sub = c.create_organizational_unit(ParentId=ids["HipaaOU"], Name="PciSubOU")
    ids["HipaaOU/PciSubOU"] = sub["OrganizationalUnit"]["Id"]

    def policy(name: str, document: dict) -> str:
        # `--content file://policy.json`: AWS keeps the file's whitespace.
        return c.create_policy(
            Name=name, Description=f"{name} (seed)", Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(document, indent=2),
        )["Policy"]["PolicySummary"]["Id"]  # fmt: skip

    hipaa, pci = policy("HipaaAllow", HIPAA_ALLOW), policy("PciAllow", PCI_ALLOW)
    for target, policy_id in (
        ("HipaaOU", hipaa), ("PciOU", pci), ("HipaaOU/PciSubOU", pci)
    ):  # fmt: skip
        c.attach_policy(PolicyId=policy_id, TargetId=ids[target])
        c.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ids[target])
    accounts: dict[str, list[str]] = {}
    for path in ("HipaaOU", "PciOU", "GeneralOU", "HipaaOU/PciSubOU"):
        for i in range(2):
            email = f"{path.replace('/', '-').lower()}-{i}@example.com"
            made = c.create_account(AccountName=f"{path}-{i}"[:50], Email=email)
            account_id = made["CreateAccountStatus"]["AccountId"]
            c.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ids[path])
            accounts.setdefault(path, []).append(account_id)
    return accounts


@pytest.fixture
def seed_org(fresh_gateway_cache):
    from moto import mock_aws

    with mock_aws():
        c = boto3.client("organizations", region_name="us-east-1")
        yield c, build_seed_way(c)


SEED_CLASSES = ("--class", "hipaa_pci=HipaaOU/PciSubOU")


def test_a_seed_built_organization_round_trips(seed_org, tmp_path):
    _c, accounts = seed_org
    path = tmp_path / "imported.yaml"
    code, out, err = run("import", "--output", str(path), *SEED_CLASSES)
    assert code == 0, out + err
    assert err == ""  # nothing the blueprint cannot say
    raw = yaml.safe_load(path.read_text())
    assert raw["classes"] == {
        "general": "GeneralOU", "hipaa": "HipaaOU", "pci": "PciOU",
        "hipaa_pci": "HipaaOU/PciSubOU",
    }  # fmt: skip
    hipaa = next(ou for ou in raw["organizational_units"] if ou["name"] == "HipaaOU")
    assert hipaa["policies"] == ["HipaaAllow"] and hipaa["full_aws_access"] is False
    assert hipaa["children"][0]["name"] == "PciSubOU"
    general = next(ou for ou in raw["organizational_units"] if ou["name"] == "GeneralOU")
    assert "full_aws_access" not in general  # FullAWSAccess kept there
    assert raw["strategy"] == "allow_list"
    assert f"org plan --blueprint {path}: no changes." in out

    assert run("plan", "--exit-code", "--blueprint", str(path)) == (
        0, "No changes. The organization matches the blueprint.\n", ""
    )  # fmt: skip

    rows = {a.account_id: a for a in VendedAccount.objects.all()}
    for ou_path, ids in accounts.items():
        for account_id in ids:
            row = rows.pop(account_id)
            assert row.origin == AccountOrigin.IMPORTED and row.request is None
            assert row.target_ou_path == ou_path and row.status == AccountStatus.READY
            assert row.team is None
    assert rows == {}  # the management account is not in the inventory
    assert rows_by_class() == {
        "general": 2, "hipaa": 2, "pci": 2, "hipaa_pci": 2
    }  # fmt: skip
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_IMPORTED).count() == 8


def rows_by_class() -> dict[str, int]:
    counts: dict[str, int] = {}
    for cls in VendedAccount.objects.values_list("compliance_class", flat=True):
        counts[cls] = counts.get(cls, 0) + 1
    return counts


@pytest.mark.slow
def test_importing_twice_adds_nobody_twice_and_follows_moves(seed_org, tmp_path):
    c, accounts = seed_org
    assert run("import", "--output", str(tmp_path / "a.yaml"), *SEED_CLASSES)[0] == 0
    moved = accounts["GeneralOU"][0]
    ous = {
        ou["Name"]: ou["Id"]
        for ou in c.list_organizational_units_for_parent(ParentId=c.list_roots()["Roots"][0]["Id"])[
            "OrganizationalUnits"
        ]
    }
    c.move_account(
        AccountId=moved, SourceParentId=ous["GeneralOU"], DestinationParentId=ous["PciOU"]
    )
    # Moved by hand: the portal does not move an imported account back.
    assert run("plan", "--exit-code", "--blueprint", str(tmp_path / "a.yaml"))[0] == 0
    code, out, _ = run("import", "--output", str(tmp_path / "b.yaml"), *SEED_CLASSES)
    assert code == 0, out
    assert "Accounts: 0 added to the inventory as imported, 1 moved since the last import" in out
    assert VendedAccount.objects.count() == 8
    row = VendedAccount.objects.get(account_id=moved)
    assert (row.target_ou_path, row.compliance_class) == ("PciOU", "pci")
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_IMPORTED).count() == 8


def test_what_the_blueprint_cannot_say_is_named(seed_org, tmp_path):
    c, accounts = seed_org
    root = c.list_roots()["Roots"][0]["Id"]
    general = next(
        ou["Id"]
        for ou in c.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
        if ou["Name"] == "GeneralOU"
    )
    legacy = c.create_policy(
        Name="legacy-allow", Description="", Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "madeupservice:*", "Resource": "*"}]}),
    )["Policy"]["PolicySummary"]["Id"]  # fmt: skip
    c.attach_policy(PolicyId=legacy, TargetId=general)
    own = c.create_policy(
        Name="one-account-no-ec2", Description="", Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}]}),
    )["Policy"]["PolicySummary"]["Id"]  # fmt: skip
    c.attach_policy(PolicyId=own, TargetId=accounts["PciOU"][0])

    path = tmp_path / "imported.yaml"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="would be detached"):
        call_command("org", "import", "--output", str(path), *SEED_CLASSES, stdout=out, stderr=err)
    errors = err.getvalue()
    assert "NOT IN THE BLUEPRINT legacy-allow: the blueprint's validation refuses it" in errors
    assert "(attached to GeneralOU)" in errors
    assert (
        "NOT IN THE BLUEPRINT one-account-no-ec2: attached directly to accounts" in errors
        and accounts["PciOU"][0] in errors
    )
    assert "GeneralOU\n  - detach legacy-allow" in out.getvalue()
    assert "legacy-allow" not in path.read_text()  # written, without it, and said so


def test_classes_the_organization_lacks_stop_the_import(seed_org, tmp_path):
    path = tmp_path / "imported.yaml"
    with pytest.raises(CommandError, match=r"mapped to hipaa_pci: map each with --class"):
        call_command("org", "import", "--output", str(path), stdout=io.StringIO())
    assert not path.exists() and not VendedAccount.objects.exists()
    with pytest.raises(CommandError, match="expected CLASS=OU_PATH"):
        call_command("org", "import", "--output", str(path), "--class", "gold=X")
    path.write_text("keep me")
    with pytest.raises(CommandError, match="exists; pass --force"):
        call_command("org", "import", "--output", str(path), *SEED_CLASSES)
    assert path.read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.serial
def test_the_emulators_demo_organization_round_trips(emulator_org, tmp_path):
    """What `make run` leaves: the default blueprint applied (deny-list, generated class
    SCPs), plus existing accounts seeded and spread over the OUs."""
    emulator_org.emulator.app.seed_accounts(6)
    c = boto3.client(
        "organizations", endpoint_url=emulator_org.emulator.endpoint_url, region_name="us-east-1"
    )
    root = c.list_roots()["Roots"][0]["Id"]
    ous = {
        ou["Name"]: ou["Id"]
        for ou in c.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    }
    members = [
        a["Id"] for a in c.list_accounts_for_parent(ParentId=root)["Accounts"]
        if a["Name"].startswith("existing-")
    ]  # fmt: skip
    for account_id, name in zip(members, ["HipaaOU", "PciOU", "GeneralOU", "SuspendedOU"]):
        c.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ous[name])

    path = tmp_path / "demo.yaml"
    code, out, err = run("import", "--output", str(path))
    assert code == 0, out + err
    assert run("plan", "--exit-code", "--blueprint", str(path))[:2] == (
        0, "No changes. The organization matches the blueprint.\n"
    )  # fmt: skip
    rows = dict(VendedAccount.objects.values_list("account_id", "compliance_class"))
    assert len(rows) == 6
    assert rows[members[0]] == "hipaa" and rows[members[1]] == "pci"
    assert rows[members[3]] == "" and rows[members[5]] == ""  # SuspendedOU, root: no class
    assert run("import", "--output", str(path), "--force")[0] == 0
    assert VendedAccount.objects.count() == 6


def test_a_prettified_policy_is_the_same_policy(tmp_path):
    from vending.blueprint.plan import _same_document

    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*"}]}
    assert _same_document(json.dumps(doc, indent=2), json.dumps(doc, separators=(",", ":")))
    other = {**doc, "Statement": [{"Effect": "Allow", "Action": "*"}]}
    assert not _same_document(json.dumps(other, indent=2), json.dumps(doc))
    assert not _same_document("{not json", json.dumps(doc))


def tag(c, account_id: str, **tags: str) -> None:
    c.tag_resource(
        ResourceId=account_id,
        Tags=[{"Key": f"vending:{key}", "Value": value} for key, value in tags.items()],
    )


def test_with_tags_accounts_get_the_team_and_environment_their_tags_name(
    seed_org, tmp_path, team, task_queue
):
    """The portal's own tags on an account (an organization vended by an earlier
    portal) give it its team and environment: audited, its access synced; a team the
    portal does not have, or an environment it does not know, is reported."""
    c, accounts = seed_org
    prod, dev, unknown, odd = (*accounts["HipaaOU"], *accounts["GeneralOU"])
    tag(c, prod, team="checkout", environment="prod")
    tag(c, dev, team="checkout", environment="dev", owner="someone")
    tag(c, unknown, team="payments", environment="qa")
    tag(c, odd, team="checkout", environment="production")
    # Without --tags nothing is read: the accounts have no team.
    assert run("import", "--output", str(tmp_path / "a.yaml"), *SEED_CLASSES)[0] == 0
    assert not VendedAccount.objects.filter(team__isnull=False).exists()

    code, out, err = run("import", "--output", str(tmp_path / "b.yaml"), "--tags", *SEED_CLASSES)

    assert code == 0, out + err
    assert "Read the tags of 8 of 8 accounts." in err
    rows = {a.account_id: a for a in VendedAccount.objects.select_related("team")}
    assert (rows[prod].team, rows[prod].environment) == (team, "prod")
    assert (rows[dev].team, rows[dev].environment) == (team, "dev")
    assert (rows[odd].team, rows[odd].environment) == (team, "")
    assert rows[unknown].team is None
    assert sum(row.team is not None for row in rows.values()) == 3
    assert "Given a team by their tags: 3." in out
    assert f"tags not followed {unknown}: its tag names team 'payments'" in out
    assert f"tags not followed {odd}: its environment tag 'production' is none of" in out
    events = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED)
    assert sorted(e.account.account_id for e in events) == sorted([prod, dev, odd])
    assert events.get(account__account_id=prod).message == "Assigned to team checkout as prod."

    # Once the team exists, importing again gives it the account its tags name; the
    # accounts that have a team are not read again.
    from vending.services.teams import team_create

    team_create(actor=None, slug="payments", name="Payments", leads=[])
    code, out, err = run("import", "--output", str(tmp_path / "c.yaml"), "--tags", *SEED_CLASSES)
    assert code == 0, out + err
    assert "Read the tags of 5 of 5 accounts." in err
    row = VendedAccount.objects.select_related("team").get(account_id=unknown)
    assert (row.team.slug, row.environment) == ("payments", "qa")
    assert "Given a team by their tags: 1." in out
