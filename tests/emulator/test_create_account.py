"""CreateAccount is asynchronous, fails for AWS's reasons and respects AWS's limits."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.conftest import (
    NO_RETRIES,
    Org,
    client,
    configure,
    control,
    error_of,
    wait_for_creation,
)
from vending.emulator import CREATE_ACCOUNT_FAILURE_REASONS, EmulatorServer


def account_emails(org: Org) -> set[str]:
    pages = org.client.get_paginator("list_accounts").paginate()
    return {account["Email"] for page in pages for account in page["Accounts"]}


def statuses(org: Org, *states: str) -> list[dict[str, Any]]:
    pages = org.client.get_paginator("list_create_account_status").paginate(States=list(states))
    return [status for page in pages for status in page["CreateAccountStatuses"]]


def test_creation_stays_in_progress_until_the_delay_has_passed(
    org: Org, server: EmulatorServer
) -> None:
    # An hour on the emulator's clock: however slow this machine, the creation is still
    # in progress when it is looked at, and done only once the clock has moved on.
    configure(server, create_delay_seconds=3600)
    answer = org.client.create_account(
        AccountName="Team Dev",
        Email="team-dev@example.com",
        Tags=[{"Key": "team", "Value": "payments"}],
    )["CreateAccountStatus"]

    assert answer["State"] == "IN_PROGRESS"
    assert answer["Id"].startswith("car-")
    assert answer["AccountName"] == "Team Dev"
    described = org.client.describe_create_account_status(CreateAccountRequestId=answer["Id"])
    assert described["CreateAccountStatus"]["State"] == "IN_PROGRESS"
    assert [s["Id"] for s in statuses(org, "IN_PROGRESS")] == [answer["Id"]]
    assert statuses(org, "SUCCEEDED") == []
    assert "team-dev@example.com" not in account_emails(org)
    control(server, "POST", "/clock", {"advance_seconds": 3599})
    assert statuses(org, "SUCCEEDED") == []

    control(server, "POST", "/clock", {"advance_seconds": 2})
    done = wait_for_creation(org.client, answer["Id"])

    assert done["State"] == "SUCCEEDED"
    assert done["AccountId"].isdigit() and len(done["AccountId"]) == 12
    assert done["CompletedTimestamp"] > done["RequestedTimestamp"]
    assert "FailureReason" not in done
    assert [s["Id"] for s in statuses(org, "SUCCEEDED")] == [answer["Id"]]
    assert statuses(org, "IN_PROGRESS") == []


def test_created_account_exists_in_moto_like_any_other(org: Org, server: EmulatorServer) -> None:
    account_id = org.create_account("Team Dev", "team-dev@example.com")

    account = org.client.describe_account(AccountId=account_id)["Account"]
    assert (account["Name"], account["Email"], account["Status"]) == (
        "Team Dev",
        "team-dev@example.com",
        "ACTIVE",
    )
    assert org.client.list_parents(ChildId=account_id)["Parents"] == [
        {"Id": org.root_id, "Type": "ROOT"}
    ]
    assert "team-dev@example.com" in account_emails(org)
    assert org.scp_ids(account_id) == {"p-FullAWSAccess"}
    # The management account can step into the new account through the default role.
    credentials = client(server, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="vending",
    )["Credentials"]
    member = client(server, "sts", credentials=credentials)
    assert member.get_caller_identity()["Account"] == account_id


def test_tags_and_move_work_on_the_created_account(org: Org) -> None:
    request = org.client.create_account(
        AccountName="Tagged", Email="tagged@example.com", Tags=[{"Key": "env", "Value": "dev"}]
    )
    account_id = wait_for_creation(org.client, request["CreateAccountStatus"]["Id"])["AccountId"]
    ou_id = org.create_ou("Dev")

    org.client.move_account(
        AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=ou_id
    )

    assert org.client.list_tags_for_resource(ResourceId=account_id)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]
    assert org.client.list_parents(ChildId=account_id)["Parents"][0]["Id"] == ou_id


@pytest.mark.parametrize(
    "existing, duplicate",
    [
        ("team@example.com", "team@example.com"),
        ("team@example.com", "TEAM@Example.COM"),
        # The management account's address (moto's default) is taken too.
        ("other@example.com", "master@example.com"),
    ],
)
def test_an_e_mail_in_use_fails_with_email_already_exists(
    org: Org, existing: str, duplicate: str
) -> None:
    org.create_account("First", existing)

    request = org.client.create_account(AccountName="Second", Email=duplicate)
    status = wait_for_creation(org.client, request["CreateAccountStatus"]["Id"])

    assert status["State"] == "FAILED"
    assert status["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in status
    assert len(account_emails(org)) == 2


def test_an_e_mail_of_a_creation_in_progress_is_taken_but_a_failed_one_is_free(
    org: Org,
) -> None:
    first = org.client.create_account(AccountName="First", Email="team@example.com")
    second = org.client.create_account(AccountName="Second", Email="Team@example.com")
    failed = org.client.create_account(
        AccountName="Failed", Email="x+fail-internal-failure@example.com"
    )
    for request in (first, second, failed):
        wait_for_creation(org.client, request["CreateAccountStatus"]["Id"])

    retried = org.client.create_account(
        AccountName="Retried", Email="x+fail-internal-failure@example.com"
    )
    states = [
        org.client.describe_create_account_status(
            CreateAccountRequestId=r["CreateAccountStatus"]["Id"]
        )["CreateAccountStatus"].get("FailureReason", "SUCCEEDED")
        for r in (first, second)
    ]
    assert states == ["SUCCEEDED", "EMAIL_ALREADY_EXISTS"]
    # A failed request does not reserve its address: the retry fails for its own reason.
    status = wait_for_creation(org.client, retried["CreateAccountStatus"]["Id"])
    assert status["FailureReason"] == "INTERNAL_FAILURE"


def marker_email(reason: str) -> str:
    email = f"a+fail-{reason.lower().replace('_', '-')}@x.io"
    # The longest reason does not fit in 64 characters; its leading words name it alone.
    return email if len(email) <= 64 else "a+fail-update-existing@x.io"


def test_every_documented_failure_reason_can_be_injected_by_e_mail(
    org: Org, server: EmulatorServer
) -> None:
    configure(server, max_in_progress_creations=len(CREATE_ACCOUNT_FAILURE_REASONS))
    requests = {
        reason: org.client.create_account(AccountName=reason[:50], Email=marker_email(reason))
        for reason in CREATE_ACCOUNT_FAILURE_REASONS
    }

    for reason, request in requests.items():
        status = wait_for_creation(org.client, request["CreateAccountStatus"]["Id"])
        assert (status["State"], status.get("FailureReason")) == ("FAILED", reason)
    assert account_emails(org) == {"master@example.com"}


def test_failure_markers_allow_a_suffix_and_ignore_unknown_reasons(org: Org) -> None:
    suffixed = org.client.create_account(
        AccountName="a", Email="ops+fail-invalid-address+2@example.com"
    )
    unknown = org.client.create_account(
        AccountName="b", Email="ops+fail-no-such-reason@example.com"
    )

    assert (
        wait_for_creation(org.client, suffixed["CreateAccountStatus"]["Id"])["FailureReason"]
        == "INVALID_ADDRESS"
    )
    assert wait_for_creation(org.client, unknown["CreateAccountStatus"]["Id"])["State"] == (
        "SUCCEEDED"
    )


@pytest.mark.parametrize(
    "email, name, reason",
    [
        ("a" * 53 + "@example.com", "Too long e-mail", "MAX_LENGTH_EXCEEDED"),
        ("a@b.io", "x" * 51, "MAX_LENGTH_EXCEEDED"),
        ("a@b.io", "", "MIN_LENGTH_EXCEEDED"),
        ("a@b", "Too short e-mail", "MIN_LENGTH_EXCEEDED"),
        ("not-an-address", "No at sign", "INVALID_PATTERN"),
        ("two@at@example.com", "Two at signs", "INVALID_PATTERN"),
        (".dot@example.com", "Leading dot", "INVALID_PATTERN"),
        ("team@localhost", "No dot in domain", "INVALID_PATTERN"),
        ("team@-example.com", "Domain starts with hyphen", "INVALID_PATTERN"),
        ("té@example.com", "Not ASCII", "INVALID_PATTERN"),
        ("a@b.io", "Tab\tin name", "INVALID_PATTERN"),
    ],
)
def test_invalid_input_is_rejected_at_once_without_state_change(
    org: Org, server: EmulatorServer, email: str, name: str, reason: str
) -> None:
    # botocore checks minimum lengths itself; switch that off to reach the emulator.
    unchecked = client(
        server, config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )

    with pytest.raises(ClientError) as raised:
        unchecked.create_account(AccountName=name, Email=email)

    assert error_of(raised) == ("InvalidInputException", reason)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert statuses(org) == []


def test_the_sixth_creation_in_progress_is_rejected(org: Org, server: EmulatorServer) -> None:
    # Creations that last an hour of the emulator's clock: however slow this machine,
    # none finishes before the clock is moved on.
    configure(server, create_delay_seconds=3600)
    control(server, "POST", "/stats/reset")
    first_five = [
        org.client.create_account(AccountName=f"a{i}", Email=f"a{i}@example.com") for i in range(5)
    ]

    with pytest.raises(ClientError) as raised:
        org.client.create_account(AccountName="a5", Email="a5@example.com")

    assert error_of(raised) == (
        "ConstraintViolationException",
        "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED",
    )
    assert len(statuses(org)) == 5
    stats = control(server, "GET", "/stats")[1]
    assert stats["in_progress_creations"] == 5
    assert stats["max_in_progress_creations"] == 5
    # Once they finish, there is room again.
    control(server, "POST", "/clock", {"advance_seconds": 3601})
    for request in first_five:
        wait_for_creation(org.client, request["CreateAccountStatus"]["Id"])
    org.client.create_account(AccountName="a5", Email="a5@example.com")
    assert control(server, "GET", "/stats")[1]["in_progress_creations"] == 1


def test_concurrent_clients_get_one_account_each(org: Org, server: EmulatorServer) -> None:
    results: dict[int, dict[str, Any]] = {}

    def provision(index: int) -> None:
        own_client = client(server, config=NO_RETRIES)
        request = own_client.create_account(AccountName=f"t{index}", Email=f"t{index}@example.com")
        results[index] = wait_for_creation(own_client, request["CreateAccountStatus"]["Id"])

    threads = [threading.Thread(target=provision, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status["State"] for status in results.values()} == {"SUCCEEDED"}
    assert len({status["AccountId"] for status in results.values()}) == 5
    assert len(account_emails(org)) == 6


def test_list_create_account_status_pages(org: Org) -> None:
    for i in range(3):
        org.client.create_account(AccountName=f"p{i}", Email=f"p{i}@example.com")

    first = org.client.list_create_account_status(MaxResults=2)
    second = org.client.list_create_account_status(MaxResults=2, NextToken=first["NextToken"])

    assert len(first["CreateAccountStatuses"]) == 2
    assert len(second["CreateAccountStatuses"]) == 1
    assert "NextToken" not in second


def test_unknown_request_id_is_not_found(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.describe_create_account_status(CreateAccountRequestId="car-0123456789abcdef")

    assert raised.value.response["Error"]["Code"] == "CreateAccountStatusNotFoundException"


def test_create_account_needs_an_organization(org_client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        org_client.create_account(AccountName="x", Email="x@example.com")

    assert raised.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
