"""IAM Identity Center in the emulator: moto's sso-admin and identitystore, with account
assignments asynchronous as in AWS (IN_PROGRESS, then SUCCEEDED or FAILED with a
reason), never made twice, and kept in the state file across a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import NO_RETRIES, client, configure, control
from tests.emulator.test_state_file import forget_everything_in_this_process
from vending.emulator import EmulatorConfig, EmulatorServer


def setup(server: EmulatorServer) -> dict[str, Any]:
    org = client(server, config=NO_RETRIES)
    management = org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"]
    sso = client(server, "sso-admin", config=NO_RETRIES)
    store = client(server, "identitystore", config=NO_RETRIES)
    instance = sso.list_instances()["Instances"][0]
    ps = sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="PowerUserAccess")
    group = store.create_group(IdentityStoreId=instance["IdentityStoreId"], DisplayName="team")
    return {
        "sso": sso,
        "instance": instance["InstanceArn"],
        "args": {
            "InstanceArn": instance["InstanceArn"],
            "TargetId": management,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": ps["PermissionSet"]["PermissionSetArn"],
            "PrincipalType": "GROUP",
            "PrincipalId": group["GroupId"],
        },
    }


def listed(made: dict[str, Any]) -> list[str]:
    args = made["args"]
    return [
        a["PrincipalId"]
        for a in made["sso"].list_account_assignments(
            InstanceArn=args["InstanceArn"],
            AccountId=args["TargetId"],
            PermissionSetArn=args["PermissionSetArn"],
        )["AccountAssignments"]
    ]


def creation(made: dict[str, Any], request_id: str) -> dict[str, Any]:
    status: dict[str, Any] = made["sso"].describe_account_assignment_creation_status(
        InstanceArn=made["instance"], AccountAssignmentCreationRequestId=request_id
    )["AccountAssignmentCreationStatus"]
    return status


def later(server: EmulatorServer, seconds: float = 61) -> None:
    assert control(server, "POST", "/clock", {"advance_seconds": seconds})[0] == 200


def test_an_assignment_is_in_progress_until_aws_is_done_and_never_made_twice(emulator):
    configure(emulator, assignment_delay_seconds=60)
    made = setup(emulator)
    asked = made["sso"].create_account_assignment(**made["args"])
    status = asked["AccountAssignmentCreationStatus"]
    assert status["Status"] == "IN_PROGRESS"
    assert creation(made, status["RequestId"])["Status"] == "IN_PROGRESS"
    assert listed(made) == []
    later(emulator)
    assert creation(made, status["RequestId"])["Status"] == "SUCCEEDED"
    assert listed(made) == [made["args"]["PrincipalId"]]
    again = made["sso"].create_account_assignment(**made["args"])["AccountAssignmentCreationStatus"]
    later(emulator)
    assert creation(made, again["RequestId"])["Status"] == "SUCCEEDED"
    assert listed(made) == [made["args"]["PrincipalId"]]  # one, not two (moto: two)


def test_a_deletion_is_asynchronous_and_the_creation_status_stays_readable(emulator):
    configure(emulator, assignment_delay_seconds=0)
    made = setup(emulator)
    asked = made["sso"].create_account_assignment(**made["args"])
    request_id = asked["AccountAssignmentCreationStatus"]["RequestId"]
    configure(emulator, assignment_delay_seconds=30)
    deleting = made["sso"].delete_account_assignment(**made["args"])
    deletion = deleting["AccountAssignmentDeletionStatus"]
    assert deletion["Status"] == "IN_PROGRESS"
    assert listed(made) == [made["args"]["PrincipalId"]]  # until AWS is done
    later(emulator)
    read = made["sso"].describe_account_assignment_deletion_status(
        InstanceArn=made["instance"], AccountAssignmentDeletionRequestId=deletion["RequestId"]
    )["AccountAssignmentDeletionStatus"]
    assert read["Status"] == "SUCCEEDED"
    assert listed(made) == []
    assert creation(made, request_id)["Status"] == "SUCCEEDED"  # moto: ResourceNotFound
    with pytest.raises(ClientError) as gone:
        made["sso"].delete_account_assignment(**made["args"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"PrincipalId": "00000000-0000-0000-0000-000000000000"},
            "does not exist in identity store",
        ),
        ({"TargetId": "999999999999"}, "not a member of the organization"),
    ],
)
def test_a_creation_aws_cannot_carry_out_fails_with_a_reason(emulator, change, reason):
    configure(emulator, assignment_delay_seconds=1)
    made = setup(emulator)
    asked = made["sso"].create_account_assignment(**{**made["args"], **change})
    later(emulator, 2)
    status = creation(made, asked["AccountAssignmentCreationStatus"]["RequestId"])
    assert status["Status"] == "FAILED"
    assert reason in status["FailureReason"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"PermissionSetArn": "arn:aws:sso:::permissionSet/ssoins-x/ps-0000000000000000"},
         "ResourceNotFoundException"),
        ({"InstanceArn": "arn:aws:sso:::instance/ssoins-0000000000000000"},
         "ResourceNotFoundException"),
        ({"PrincipalType": "ROLE"}, "ValidationException"),
    ],
)  # fmt: skip
def test_a_request_aws_refuses_at_once_is_an_error(emulator, change, code):
    made = setup(emulator)
    with pytest.raises(ClientError) as refused:
        made["sso"].create_account_assignment(**{**made["args"], **change})
    assert refused.value.response["Error"]["Code"] == code


def test_identity_center_survives_a_restart_with_the_state_file(tmp_path: Path, emulator) -> None:
    state_file = tmp_path / "state.pickle"
    config = EmulatorConfig(assignment_delay_seconds=0)
    try:
        with EmulatorServer(config=config, state_file=state_file) as first:
            made = setup(first)
            made["sso"].create_account_assignment(**made["args"])
            instance = made["instance"]
        forget_everything_in_this_process()
        with EmulatorServer(config=config, state_file=state_file) as second:
            sso = client(second, "sso-admin", config=NO_RETRIES)
            assert sso.list_instances()["Instances"][0]["InstanceArn"] == instance
            made["sso"] = sso
            assert listed(made) == [made["args"]["PrincipalId"]]
            store_id = sso.list_instances()["Instances"][0]["IdentityStoreId"]
            store = client(second, "identitystore", config=NO_RETRIES)
            groups = store.list_groups(IdentityStoreId=store_id)
            assert [g["DisplayName"] for g in groups["Groups"]] == ["team"]
    finally:
        emulator.app.reset()
