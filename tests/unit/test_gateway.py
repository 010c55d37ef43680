"""The Organizations gateway against moto: dataclasses out, pagination inside, errors
mapped to transient or permanent, one client per thread, assumed roles."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from vending.aws import OrganizationsGateway, PermanentAwsError, TransientAwsError
from vending.aws.errors import map_botocore_error, map_client_error
from vending.aws.session import GatewayConfig
from vending.aws.types import CreateAccountState, ParentType


@pytest.fixture
def gateway():
    with mock_aws():
        yield OrganizationsGateway()


def test_no_organization_is_none_not_an_error(gateway):
    assert gateway.describe_organization() is None
    org = gateway.create_organization()
    assert gateway.describe_organization() == org
    assert org.feature_set == "ALL"


def test_accounts_ous_and_parents_as_dataclasses(gateway):
    gateway.create_organization()
    root = gateway.root()
    ou = gateway.create_organizational_unit(parent_id=root.id, name="HipaaOU")
    sub = gateway.create_organizational_unit(parent_id=ou.id, name="HipaaPciOU")
    assert gateway.find_organizational_unit(path="HipaaOU/HipaaPciOU") == sub
    assert gateway.find_organizational_unit(path="HipaaOU/Nope") is None
    status = gateway.create_account(name="a", email="a@example.com", tags={"k": "v"})
    assert status.request_id.startswith("car-")
    status = gateway.describe_create_account_status(request_id=status.request_id)
    assert status.state == CreateAccountState.SUCCEEDED
    assert status.account_id is not None
    [parent] = gateway.list_parents(child_id=status.account_id)
    assert parent.type == ParentType.ROOT
    gateway.move_account(
        account_id=status.account_id, source_parent_id=root.id, destination_parent_id=sub.id
    )
    assert [a.id for a in gateway.list_accounts_for_parent(parent_id=sub.id)] == [status.account_id]
    assert gateway.find_account_by_email(email="A@Example.com").id == status.account_id
    assert gateway.list_tags(resource_id=status.account_id) == {"k": "v"}


def test_pagination_is_hidden(gateway):
    gateway.create_organization()
    for i in range(45):  # more than two pages of ListAccounts
        gateway.create_account(name=f"acct-{i}", email=f"acct-{i}@example.com")
    accounts = gateway.list_accounts()
    assert len(accounts) == 46  # plus the management account
    assert len({a.id for a in accounts}) == 46


def test_policies_round_trip(gateway):
    gateway.create_organization()
    root = gateway.root()
    gateway.enable_policy_type(root_id=root.id)
    policy = gateway.create_policy(name="p", description="d", content='{"Version":"2012-10-17"}')
    gateway.attach_policy(policy_id=policy.id, target_id=root.id)
    names = {p.name for p in gateway.list_policies_for_target(target_id=root.id)}
    assert names == {"FullAWSAccess", "p"}
    assert [t.target_id for t in gateway.list_targets_for_policy(policy_id=policy.id)] == [root.id]
    gateway.update_policy(policy_id=policy.id, content='{"Version":"2012-10-17","x":1}')
    assert gateway.describe_policy(policy_id=policy.id).content.endswith('"x":1}')
    gateway.detach_policy(policy_id=policy.id, target_id=root.id)


def test_permanent_error_carries_code_and_operation(gateway):
    gateway.create_organization()
    with pytest.raises(PermanentAwsError) as exc:
        gateway.describe_account(account_id="111111111111")
    assert exc.value.code == "AccountNotFoundException"
    assert exc.value.operation == "DescribeAccount"
    assert "DescribeAccount: AccountNotFoundException" in str(exc.value)


def client_error(code: str, status: int = 400, reason: str = "") -> ClientError:
    response = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if reason:
        response["Reason"] = reason
    return ClientError(response, "CreateAccount")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("TooManyRequestsException", 400, TransientAwsError),
        ("ConcurrentModificationException", 400, TransientAwsError),
        ("ServiceException", 500, TransientAwsError),
        ("AnythingAt5xx", 503, TransientAwsError),
        ("AccessDeniedException", 400, PermanentAwsError),
        ("ConstraintViolationException", 400, PermanentAwsError),
        ("DuplicateAccountException", 400, PermanentAwsError),
    ],
)
def test_client_errors_map_to_what_to_do(code, status, kind):
    mapped = map_client_error(client_error(code, status, "R"), "CreateAccount")
    assert type(mapped) is kind
    assert (mapped.code, mapped.reason) == (code, "R")


def test_network_errors_are_transient():
    mapped = map_botocore_error(EndpointConnectionError(endpoint_url="http://x"), "ListRoots")
    assert isinstance(mapped, TransientAwsError)


def test_one_client_per_thread(gateway):
    first = gateway.client
    assert gateway.client is first
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(gateway.client))
    thread.start()
    thread.join()
    assert other[0] is not first


def test_region_comes_from_boto3_unless_set(monkeypatch):
    import boto3

    # Organizations itself always resolves to its global endpoint; the region matters
    # for STS (assume role), which is regional.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert GatewayConfig().botocore_config(boto3.Session()).region_name == "eu-west-1"
    assert GatewayConfig(region="us-west-2").botocore_config(boto3.Session()).region_name == (
        "us-west-2"
    )
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert GatewayConfig().botocore_config(boto3.Session()).region_name == "us-east-1"


def test_assumed_role_credentials_are_used():
    with mock_aws():
        gateway = OrganizationsGateway(
            GatewayConfig(role_arn="arn:aws:iam::123456789012:role/Vending")
        )
        credentials = gateway.client._request_signer._credentials
        assert credentials.method == "sts-assume-role"
        assert credentials.get_frozen_credentials().access_key != "testing"
        gateway.create_organization()
        assert gateway.describe_organization() is not None
