"""OU, SCP and MoveAccount rules that AWS enforces and moto alone does not."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Org, configure, error_of
from vending.emulator import EmulatorServer

FULL_ACCESS = "p-FullAWSAccess"


def padded_scp(size: int) -> str:
    """A valid SCP document of exactly ``size`` characters (whitespace counts)."""
    document = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*"}]}
    )
    return document[:-1] + " " * (size - len(document)) + "}"


# --- organizational units -------------------------------------------------------------


def test_ous_nest_five_levels_below_the_root_and_no_deeper(org: Org) -> None:
    parent = org.root_id
    for level in range(1, 6):
        parent = org.create_ou(f"Level{level}", parent)

    with pytest.raises(ClientError) as raised:
        org.create_ou("Level6", parent)

    assert error_of(raised) == ("ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED")
    children = org.client.list_organizational_units_for_parent(ParentId=parent)
    assert children["OrganizationalUnits"] == []


def test_the_depth_limit_is_configurable(org: Org, server: EmulatorServer) -> None:
    configure(server, ou_max_depth=1)
    top = org.create_ou("Top")

    with pytest.raises(ClientError) as raised:
        org.create_ou("Nested", top)

    assert error_of(raised)[1] == "OU_DEPTH_LIMIT_EXCEEDED"


def test_ou_names_are_unique_per_parent_only(org: Org) -> None:
    hipaa = org.create_ou("HipaaOU")
    pci = org.create_ou("PciOU")
    org.create_ou("Prod", hipaa)
    org.create_ou("Prod", pci)  # same name, different parent: fine

    with pytest.raises(ClientError) as raised:
        org.create_ou("HipaaOU")

    assert error_of(raised)[0] == "DuplicateOrganizationalUnitException"
    roots_children = org.client.list_organizational_units_for_parent(ParentId=org.root_id)
    assert sorted(ou["Name"] for ou in roots_children["OrganizationalUnits"]) == [
        "HipaaOU",
        "PciOU",
    ]


def test_an_ou_needs_an_existing_parent(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.create_ou("Orphan", "ou-abcd-12345678")

    assert error_of(raised)[0] == "ParentNotFoundException"


def test_renaming_an_ou_to_a_sibling_name_is_a_duplicate(org: Org) -> None:
    dev = org.create_ou("Dev")
    org.create_ou("Test")
    other_parent = org.create_ou("Other")
    org.create_ou("Prod", other_parent)

    with pytest.raises(ClientError) as raised:
        org.client.update_organizational_unit(OrganizationalUnitId=dev, Name="Test")
    assert error_of(raised)[0] == "DuplicateOrganizationalUnitException"

    # A cousin's name and the OU's own name are both fine (moto alone rejects both).
    renamed = org.client.update_organizational_unit(OrganizationalUnitId=dev, Name="Prod")
    assert renamed["OrganizationalUnit"]["Name"] == "Prod"
    org.client.update_organizational_unit(OrganizationalUnitId=dev, Name="Prod")
    described = org.client.describe_organizational_unit(OrganizationalUnitId=dev)
    assert described["OrganizationalUnit"]["Name"] == "Prod"


def test_renaming_an_unknown_ou_is_not_found(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.update_organizational_unit(OrganizationalUnitId="ou-abcd-12345678", Name="X")

    assert error_of(raised)[0] == "OrganizationalUnitNotFoundException"


# --- service control policies ----------------------------------------------------------


def test_every_target_starts_with_full_aws_access(org: Org) -> None:
    ou = org.create_ou("Dev")
    account = org.create_account("Dev", "dev@example.com")

    for target in (org.root_id, ou, account, org.management_account_id):
        assert org.scp_ids(target) == {FULL_ACCESS}


def test_scp_documents_are_limited_in_size(org: Org, server: EmulatorServer) -> None:
    org.create_scp("AtLimit", padded_scp(5120))

    with pytest.raises(ClientError) as raised:
        org.create_scp("TooBig", padded_scp(5121))
    assert error_of(raised) == ("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")

    configure(server, scp_max_size=10240)
    org.create_scp("RaisedLimit", padded_scp(5121))
    names = {
        p["Name"] for p in org.client.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    }
    assert names == {"FullAWSAccess", "AtLimit", "RaisedLimit"}


def test_scp_updates_are_limited_in_size_too(org: Org) -> None:
    policy_id = org.create_scp("Small")
    before = org.client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]

    with pytest.raises(ClientError) as raised:
        org.client.update_policy(PolicyId=policy_id, Content=padded_scp(5121))

    assert error_of(raised) == ("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
    assert org.client.describe_policy(PolicyId=policy_id)["Policy"]["Content"] == before
    org.client.update_policy(PolicyId=policy_id, Description="renamed only")


def test_scps_can_be_attached_only_once_the_policy_type_is_enabled(org: Org) -> None:
    policy_id = org.create_scp("DenyS3")
    org.client.disable_policy_type(RootId=org.root_id, PolicyType="SERVICE_CONTROL_POLICY")

    with pytest.raises(ClientError) as raised:
        org.client.attach_policy(PolicyId=policy_id, TargetId=org.root_id)

    assert error_of(raised)[0] == "PolicyTypeNotEnabledException"


def test_a_target_holds_at_most_five_scps(org: Org, server: EmulatorServer) -> None:
    ou = org.create_ou("Dev")
    for index in range(4):  # plus FullAWSAccess makes five
        org.client.attach_policy(PolicyId=org.create_scp(f"Scp{index}"), TargetId=ou)
    sixth = org.create_scp("Scp4")

    with pytest.raises(ClientError) as raised:
        org.client.attach_policy(PolicyId=sixth, TargetId=ou)

    assert error_of(raised) == (
        "ConstraintViolationException",
        "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
    )
    assert len(org.scp_ids(ou)) == 5
    configure(server, scp_max_per_target=10)
    org.client.attach_policy(PolicyId=sixth, TargetId=ou)
    assert len(org.scp_ids(ou)) == 6


def test_attaching_an_attached_policy_is_a_duplicate(org: Org) -> None:
    ou = org.create_ou("Dev")

    with pytest.raises(ClientError) as raised:
        org.client.attach_policy(PolicyId=FULL_ACCESS, TargetId=ou)

    assert error_of(raised)[0] == "DuplicatePolicyAttachmentException"


def test_attaching_to_an_unknown_target_is_not_found(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.attach_policy(PolicyId=org.create_scp("DenyS3"), TargetId="ou-abcd-12345678")

    assert error_of(raised)[0] == "TargetNotFoundException"


@pytest.mark.parametrize("kind", ["root", "ou", "account"])
def test_the_last_scp_cannot_be_detached(org: Org, kind: str) -> None:
    target = {
        "root": lambda: org.root_id,
        "ou": lambda: org.create_ou("Dev"),
        "account": lambda: org.create_account("Dev", "dev@example.com"),
    }[kind]()

    with pytest.raises(ClientError) as raised:
        org.client.detach_policy(PolicyId=FULL_ACCESS, TargetId=target)

    assert error_of(raised) == (
        "ConstraintViolationException",
        "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
    )
    assert org.scp_ids(target) == {FULL_ACCESS}


def test_attach_before_detach_replaces_full_aws_access(org: Org) -> None:
    ou = org.create_ou("Regulated")
    allow_list = org.create_scp("AllowList")

    org.client.attach_policy(PolicyId=allow_list, TargetId=ou)
    org.client.detach_policy(PolicyId=FULL_ACCESS, TargetId=ou)

    assert org.scp_ids(ou) == {allow_list}
    with pytest.raises(ClientError) as raised:
        org.client.detach_policy(PolicyId=allow_list, TargetId=ou)
    assert error_of(raised)[1] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"


def test_detaching_a_policy_that_is_not_attached_fails(org: Org) -> None:
    ou = org.create_ou("Dev")

    with pytest.raises(ClientError) as raised:
        org.client.detach_policy(PolicyId=org.create_scp("Unattached"), TargetId=ou)

    assert error_of(raised)[0] == "PolicyNotAttachedException"


# --- MoveAccount -----------------------------------------------------------------------


@pytest.fixture
def placed(org: Org) -> tuple[str, str, str]:
    """An account in the root, and two OUs: (account id, dev OU, prod OU)."""
    return org.create_account("App", "app@example.com"), org.create_ou("Dev"), org.create_ou("Prod")


def parent_of(org: Org, account_id: str) -> str:
    return str(org.client.list_parents(ChildId=account_id)["Parents"][0]["Id"])


def test_move_account_moves_between_parents(org: Org, placed: tuple[str, str, str]) -> None:
    account, dev, prod = placed

    org.client.move_account(AccountId=account, SourceParentId=org.root_id, DestinationParentId=dev)
    org.client.move_account(AccountId=account, SourceParentId=dev, DestinationParentId=prod)

    assert parent_of(org, account) == prod
    listed = org.client.list_accounts_for_parent(ParentId=prod)["Accounts"]
    assert [a["Id"] for a in listed] == [account]


@pytest.mark.parametrize("source", ["dev", "missing"])
def test_a_wrong_source_parent_is_not_found(
    org: Org, placed: tuple[str, str, str], source: str
) -> None:
    account, dev, prod = placed
    source_id = dev if source == "dev" else "ou-abcd-12345678"

    with pytest.raises(ClientError) as raised:
        org.client.move_account(
            AccountId=account, SourceParentId=source_id, DestinationParentId=prod
        )

    assert error_of(raised)[0] == "SourceParentNotFoundException"
    assert parent_of(org, account) == org.root_id


def test_a_missing_destination_is_not_found(org: Org, placed: tuple[str, str, str]) -> None:
    account = placed[0]

    with pytest.raises(ClientError) as raised:
        org.client.move_account(
            AccountId=account, SourceParentId=org.root_id, DestinationParentId="ou-abcd-12345678"
        )

    assert error_of(raised)[0] == "DestinationParentNotFoundException"
    assert parent_of(org, account) == org.root_id


def test_moving_into_the_current_parent_is_a_duplicate(
    org: Org, placed: tuple[str, str, str]
) -> None:
    account = placed[0]

    with pytest.raises(ClientError) as raised:
        org.client.move_account(
            AccountId=account, SourceParentId=org.root_id, DestinationParentId=org.root_id
        )

    assert error_of(raised)[0] == "DuplicateAccountException"


def test_moving_an_unknown_account_is_not_found(org: Org, placed: tuple[str, str, str]) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.move_account(
            AccountId="000000000000", SourceParentId=org.root_id, DestinationParentId=placed[1]
        )

    assert error_of(raised)[0] == "AccountNotFoundException"
