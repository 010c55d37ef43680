"""IdentityCenterGateway against moto in-process: typed results, pagination hidden,
errors mapped (ConflictException is Identity Center's "try again"), calls counted."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from vending.aws import PermanentAwsError, TransientAwsError
from vending.aws.errors import map_client_error
from vending.aws.identity_center import AssignmentState, IdentityCenterGateway

pytestmark = pytest.mark.django_db
ACCOUNT = "111111111111"


@pytest.fixture
def gateway():
    with mock_aws():
        yield IdentityCenterGateway()


def test_the_instance_groups_and_permission_sets_are_found_by_name(gateway):
    (instance,) = gateway.list_instances()
    assert instance.instance_arn.startswith("arn:aws:sso:::instance/ssoins-")
    assert instance.identity_store_id.startswith("d-")
    store = instance.identity_store_id
    assert gateway.find_group_id(identity_store_id=store, display_name="checkout") is None
    group_id = gateway.create_group(identity_store_id=store, display_name="checkout")
    assert gateway.find_group_id(identity_store_id=store, display_name="checkout") == group_id
    # More than one page of ListPermissionSets (moto pages them by 100 at most).
    made = {
        gateway.create_permission_set(instance_arn=instance.instance_arn, name=f"Set{i}").arn
        for i in range(12)
    }
    listed = gateway.list_permission_sets(instance_arn=instance.instance_arn)
    assert {p.arn for p in listed} == made
    assert sorted(p.name for p in listed) == sorted(f"Set{i}" for i in range(12))


def test_an_assignment_is_created_listed_and_deleted(gateway):
    (instance,) = gateway.list_instances()
    arn = instance.instance_arn
    ps = gateway.create_permission_set(instance_arn=arn, name="PowerUserAccess")
    group = gateway.create_group(identity_store_id=instance.identity_store_id, display_name="g")
    asked = gateway.create_account_assignment(
        instance_arn=arn, account_id=ACCOUNT, permission_set_arn=ps.arn, group_id=group
    )
    assert asked.request_id and asked.state == AssignmentState.SUCCEEDED  # moto: at once
    read = gateway.describe_assignment_creation(instance_arn=arn, request_id=asked.request_id)
    assert (read.account_id, read.permission_set_arn, read.principal_id) == (
        ACCOUNT, ps.arn, group,
    )  # fmt: skip
    (listed,) = gateway.list_account_assignments(
        instance_arn=arn, account_id=ACCOUNT, permission_set_arn=ps.arn
    )
    assert (listed.principal_type, listed.principal_id) == ("GROUP", group)
    deleted = gateway.delete_account_assignment(
        instance_arn=arn, account_id=ACCOUNT, permission_set_arn=ps.arn, group_id=group
    )
    gone = gateway.describe_assignment_deletion(instance_arn=arn, request_id=deleted.request_id)
    assert gone.state == AssignmentState.SUCCEEDED
    assert (
        gateway.list_account_assignments(
            instance_arn=arn, account_id=ACCOUNT, permission_set_arn=ps.arn
        )
        == []
    )
    with pytest.raises(PermanentAwsError) as refused:  # nothing left to delete
        gateway.delete_account_assignment(
            instance_arn=arn, account_id=ACCOUNT, permission_set_arn=ps.arn, group_id=group
        )
    assert refused.value.code == "ResourceNotFoundException"
    assert refused.value.operation == "DeleteAccountAssignment"


def test_a_missing_permission_set_is_a_permanent_error(gateway):
    (instance,) = gateway.list_instances()
    with pytest.raises(PermanentAwsError) as refused:
        gateway.describe_permission_set(
            instance_arn=instance.instance_arn,
            permission_set_arn=f"{instance.instance_arn}/ps-0000000000000000",
        )
    assert refused.value.code == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ConflictException", 409, TransientAwsError),
        ("ThrottlingException", 400, TransientAwsError),
        ("InternalServerException", 500, TransientAwsError),
        ("AccessDeniedException", 403, PermanentAwsError),
        ("ValidationException", 400, PermanentAwsError),
    ],
)
def test_identity_center_errors_are_read_as_aws_means_them(code, status, kind):
    from vending.aws.identity_center import TRANSIENT

    error = ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "CreateAccountAssignment",
    )
    assert type(map_client_error(error, "CreateAccountAssignment", transient=TRANSIENT)) is kind
