"""Where moto answers differently from AWS (found by running moto's own Organizations
tests and the AWS CLI against the emulator), the emulator answers as AWS does."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Org, client, error_of, wait_for_creation
from vending.emulator import EmulatorServer


def test_a_non_empty_ou_is_not_deleted(org: Org) -> None:
    ou = org.create_ou("Team")
    account_id = org.create_account("a", "a@example.com")
    org.client.move_account(
        AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=ou
    )
    child = org.create_ou("Child", org.create_ou("Parent"))

    with pytest.raises(ClientError) as raised:
        org.client.delete_organizational_unit(OrganizationalUnitId=ou)
    assert error_of(raised)[0] == "OrganizationalUnitNotEmptyException"
    with pytest.raises(ClientError) as raised:
        org.client.delete_organizational_unit(
            OrganizationalUnitId=org.client.list_parents(ChildId=child)["Parents"][0]["Id"]
        )
    assert error_of(raised)[0] == "OrganizationalUnitNotEmptyException"
    assert org.client.list_parents(ChildId=account_id)["Parents"][0]["Id"] == ou


def test_an_empty_ou_is_deleted_and_its_policies_let_go(org: Org) -> None:
    ou = org.create_ou("Team")
    policy = org.create_scp("deny-s3")
    org.client.attach_policy(PolicyId=policy, TargetId=ou)

    org.client.delete_organizational_unit(OrganizationalUnitId=ou)

    with pytest.raises(ClientError) as raised:
        org.client.describe_organizational_unit(OrganizationalUnitId=ou)
    assert error_of(raised)[0] == "OrganizationalUnitNotFoundException"
    assert org.client.list_targets_for_policy(PolicyId=policy)["Targets"] == []
    org.client.delete_policy(PolicyId=policy)  # no longer "in use" by a deleted OU


@pytest.mark.parametrize("ou_id", ["ou-abcd-12345678", "not-an-ou"])
def test_deleting_a_missing_or_malformed_ou(org: Org, ou_id: str) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.delete_organizational_unit(OrganizationalUnitId=ou_id)

    expected = (
        "InvalidInputException" if ou_id == "not-an-ou" else "OrganizationalUnitNotFoundException"
    )
    assert error_of(raised)[0] == expected


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"a string"'])
def test_a_malformed_policy_document_is_refused(org: Org, content: str) -> None:
    with pytest.raises(ClientError) as raised:
        org.create_scp("bad", content)
    assert error_of(raised)[0] == "MalformedPolicyDocumentException"

    policy = org.create_scp("good")
    with pytest.raises(ClientError) as raised:
        org.client.update_policy(PolicyId=policy, Content=content)
    assert error_of(raised)[0] == "MalformedPolicyDocumentException"
    assert json.loads(org.client.describe_policy(PolicyId=policy)["Policy"]["Content"])
    org.client.update_policy(PolicyId=policy, Name="renamed")  # no Content: nothing to parse


@pytest.mark.parametrize("call", ["attach_policy", "detach_policy", "list_policies_for_target"])
def test_a_malformed_target_id_is_invalid_input(org: Org, call: str) -> None:
    arguments: dict[str, Any] = {"TargetId": "bogus-target"}
    if call == "list_policies_for_target":
        arguments["Filter"] = "SERVICE_CONTROL_POLICY"
    else:
        arguments["PolicyId"] = "p-FullAWSAccess"

    with pytest.raises(ClientError) as raised:
        getattr(org.client, call)(**arguments)

    assert error_of(raised) == ("InvalidInputException", "INVALID_PATTERN_TARGET_ID")


def test_a_well_formed_unknown_target_is_not_found(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.attach_policy(PolicyId=org.create_scp("p"), TargetId="ou-abcd-12345678")

    assert error_of(raised)[0] == "TargetNotFoundException"


def test_motos_reset_also_clears_the_emulators_state(org: Org, server: EmulatorServer) -> None:
    request = org.client.create_account(AccountName="a", Email="reused@example.com")
    wait_for_creation(org.client, request["CreateAccountStatus"]["Id"])

    urllib.request.urlopen(
        urllib.request.Request(f"{server.endpoint_url}/moto-api/reset", method="POST"), timeout=5
    )

    org.client.create_organization(FeatureSet="ALL")
    assert org.client.list_create_account_status()["CreateAccountStatuses"] == []
    again = org.client.create_account(AccountName="a", Email="reused@example.com")
    status = wait_for_creation(org.client, again["CreateAccountStatus"]["Id"])
    assert status["State"] == "SUCCEEDED", status


def test_an_unimplemented_operation_answers_json_naming_it(
    org: Org, server: EmulatorServer
) -> None:
    retrying = client(server)  # botocore's default retries: a 5xx would be tried again

    with pytest.raises(ClientError) as raised:
        retrying.describe_effective_policy(PolicyType="TAG_POLICY")

    response = raised.value.response
    assert response["Error"]["Code"] == "UnsupportedOperation"
    assert "DescribeEffectivePolicy" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
