"""An organization of thousands of existing accounts, seeded in one step.

Seen through plain boto3, seeded accounts are ordinary members: listed (page by page,
each once), under the root, ACTIVE, with FullAWSAccess, and their e-mails are taken.
ListAccounts and ListAccountsForParent answer at AWS's page size, 20, at most.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.organizations.models import organizations_backends

from tests.emulator.conftest import Org, client, control, error_of, wait_for_creation
from tests.emulator.test_cli import REPO_ROOT, _wait_for_config, free_port
from vending.emulator import EmulatorServer
from vending.emulator.cli import settings_from
from vending.emulator.config import ConfigError
from vending.emulator.seeding import MAX_SEED_ACCOUNTS


def all_accounts(org_client: Any, **page: Any) -> list[dict[str, Any]]:
    pages = org_client.get_paginator("list_accounts").paginate(PaginationConfig=page)
    return [account for answer in pages for account in answer["Accounts"]]


def seed(server: EmulatorServer, count: int) -> dict[str, Any]:
    status, answer = control(server, "POST", "/seed-accounts", {"count": count})
    assert status == 200, answer
    return answer


def test_seeding_an_empty_emulator_creates_the_organization(server: EmulatorServer) -> None:
    answer = seed(server, 250)

    assert answer == {"seeded": 250, "accounts": 251, "organization_created": True}
    org_client = client(server)
    organization = org_client.describe_organization()["Organization"]
    assert organization["FeatureSet"] == "ALL"
    accounts = all_accounts(org_client, PageSize=20)
    assert len(accounts) == 251  # the seeded accounts and the management account
    assert len({a["Id"] for a in accounts}) == len({a["Email"] for a in accounts}) == 251
    seeded = [a for a in accounts if a["Id"] != organization["MasterAccountId"]]
    assert {a["Status"] for a in seeded} == {"ACTIVE"}
    assert {a["Email"] for a in seeded} == {f"existing-{n:06d}@example.com" for n in range(1, 251)}
    root_id = org_client.list_roots()["Roots"][0]["Id"]
    under_root = org_client.get_paginator("list_accounts_for_parent").paginate(ParentId=root_id)
    assert sum(len(page["Accounts"]) for page in under_root) == 251
    some = seeded[123]["Id"]
    assert org_client.list_parents(ChildId=some)["Parents"] == [{"Id": root_id, "Type": "ROOT"}]
    policies = org_client.list_policies_for_target(TargetId=some, Filter="SERVICE_CONTROL_POLICY")[
        "Policies"
    ]
    assert [p["Id"] for p in policies] == ["p-FullAWSAccess"]
    # Seeding is not an Organizations call: the counters hold the calls above only.
    assert set(control(server, "GET", "/stats")[1]["calls"]) == {
        "DescribeOrganization",
        "ListAccounts",
        "ListRoots",
        "ListAccountsForParent",
        "ListParents",
        "ListPoliciesForTarget",
    }


def test_seeding_adds_to_an_existing_organization(org: Org, server: EmulatorServer) -> None:
    organization_id = org.client.describe_organization()["Organization"]["Id"]
    mine = org.create_account("Team Dev", "team-dev@example.com")

    first, second = seed(server, 30), seed(server, 30)

    assert first == {"seeded": 30, "accounts": 32, "organization_created": False}
    assert second == {"seeded": 30, "accounts": 62, "organization_created": False}
    assert org.client.describe_organization()["Organization"]["Id"] == organization_id
    accounts = all_accounts(org.client)
    assert len({a["Email"] for a in accounts}) == 62
    assert mine in {a["Id"] for a in accounts}


def test_seeded_e_mails_are_taken_and_creation_still_works(
    org: Org, server: EmulatorServer
) -> None:
    seed(server, 5)
    taken = org.client.create_account(AccountName="dup", Email="EXISTING-000002@example.com")
    fresh = org.client.create_account(AccountName="new", Email="new@example.com")

    assert wait_for_creation(org.client, taken["CreateAccountStatus"]["Id"])["FailureReason"] == (
        "EMAIL_ALREADY_EXISTS"
    )
    assert wait_for_creation(org.client, fresh["CreateAccountStatus"]["Id"])["State"] == "SUCCEEDED"
    # Seeded accounts have no creation request, like accounts created long ago.
    statuses = org.client.list_create_account_status()["CreateAccountStatuses"]
    assert {s["AccountName"] for s in statuses} == {"dup", "new"}


def test_seeded_accounts_can_be_moved_and_tagged(org: Org, server: EmulatorServer) -> None:
    seed(server, 3)
    target = org.create_ou("Workloads")
    account_id = next(
        a["Id"] for a in all_accounts(org.client) if a["Email"] == "existing-000002@example.com"
    )

    org.client.move_account(
        AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=target
    )
    org.client.tag_resource(ResourceId=account_id, Tags=[{"Key": "team", "Value": "x"}])

    assert org.client.list_parents(ChildId=account_id)["Parents"][0]["Id"] == target
    assert org.client.list_tags_for_resource(ResourceId=account_id)["Tags"] == [
        {"Key": "team", "Value": "x"}
    ]


def test_seeded_accounts_are_built_like_moto_builds_created_ones(
    org: Org, server: EmulatorServer
) -> None:
    created = org.create_account("Team Dev", "team-dev@example.com")
    seed(server, 1)
    # The in-process server keeps its state in moto's backends, shared with this test.
    backend = organizations_backends[org.management_account_id]["aws"]
    accounts = {a.id: a for a in backend.accounts}
    seeded = next(a for a in accounts.values() if a.email == "existing-000002@example.com")

    # Seeding builds the account by hand: it must have every attribute moto reads.
    assert set(vars(seeded)) == set(vars(accounts[created]))
    assert seeded.describe().keys() == accounts[created].describe().keys()
    credentials = client(server, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{seeded.id}:role/OrganizationAccountAccessRole",
        RoleSessionName="s1",
    )["Credentials"]
    assert client(server, "sts", credentials=credentials).get_caller_identity()["Account"] == (
        seeded.id
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"count": -1},
        {"count": MAX_SEED_ACCOUNTS + 1},
        {"count": "10"},
        {"count": 2.5},
        {"count": True},
        {"count": 1, "accounts": 2},
        [10],
    ],
)
def test_bad_seed_requests_are_refused_and_change_nothing(
    org: Org, server: EmulatorServer, body: Any
) -> None:
    status, answer = control(server, "POST", "/seed-accounts", body)

    assert status == 400
    assert answer["error"]
    assert len(all_accounts(org.client)) == 1


def test_seed_accounts_takes_post_only(server: EmulatorServer) -> None:
    assert control(server, "GET", "/seed-accounts")[0] == 405


@pytest.mark.slow
@pytest.mark.serial
def test_ten_thousand_seeded_accounts_are_each_listed_once(server: EmulatorServer) -> None:
    assert seed(server, 10_000)["accounts"] == 10_001

    accounts = all_accounts(client(server))

    assert len(accounts) == len({a["Id"] for a in accounts}) == 10_001


def test_the_command_line_and_environment_set_the_seed() -> None:
    assert settings_from({}, {}).seed_accounts == 0
    assert settings_from({}, {"EMULATOR_SEED_ACCOUNTS": "10000"}).seed_accounts == 10_000
    options = {"seed_accounts": 5}
    assert settings_from(options, {"EMULATOR_SEED_ACCOUNTS": "9"}).seed_accounts == 5


@pytest.mark.parametrize("raw", ["-1", "lots", str(MAX_SEED_ACCOUNTS + 1)])
def test_invalid_seed_settings_are_reported(raw: str) -> None:
    with pytest.raises(ConfigError, match="EMULATOR_SEED_ACCOUNTS"):
        settings_from({}, {"EMULATOR_SEED_ACCOUNTS": raw})


@pytest.mark.slow
@pytest.mark.serial
def test_python_m_starts_with_the_seeded_organization() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vending.emulator", "--port", str(port), "--seed-accounts", "500"],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_config(f"http://127.0.0.1:{port}/_emulator/config", process)
        org_client = boto3.client(
            "organizations",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        accounts = all_accounts(org_client)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert len(accounts) == 501
    assert "seeded with 500 existing accounts" in output, output


def test_the_seeded_organization_is_the_default_callers(server: EmulatorServer) -> None:
    seed(server, 2)
    with pytest.raises(ClientError) as raised:
        client(server).create_organization(FeatureSet="ALL")
    assert raised.value.response["Error"]["Code"] == "AlreadyInOrganizationException"


# -- listing at AWS's page size ---------------------------------------------------------


def test_list_accounts_pages_by_20_at_most(org: Org, server: EmulatorServer) -> None:
    seed(server, 45)

    first = org.client.list_accounts()
    second = org.client.list_accounts(NextToken=first["NextToken"], MaxResults=20)
    third = org.client.list_accounts(NextToken=second["NextToken"], MaxResults=20)

    assert [len(page["Accounts"]) for page in (first, second, third)] == [20, 20, 6]
    assert "NextToken" not in third
    ids = [a["Id"] for page in (first, second, third) for a in page["Accounts"]]
    assert len(set(ids)) == 46
    joined = [a["JoinedTimestamp"] for page in (first, second, third) for a in page["Accounts"]]
    assert joined == sorted(joined)  # oldest first
    with pytest.raises(ClientError) as raised:
        org.client.list_accounts(MaxResults=21)
    assert error_of(raised) == ("InvalidInputException", "MAX_VALUE_EXCEEDED")
    with pytest.raises(ClientError) as raised:
        org.client.list_accounts(NextToken="not-a-token")
    assert error_of(raised) == ("InvalidInputException", "INVALID_NEXT_TOKEN")


def test_accounts_created_while_paging_come_last(org: Org, server: EmulatorServer) -> None:
    seed(server, 25)
    first = org.client.list_accounts(MaxResults=10)

    new = org.create_account("Late", "late@example.com")

    rest = all_accounts(org.client, StartingToken=first["NextToken"])
    ids = [a["Id"] for a in first["Accounts"] + rest]
    assert len(ids) == len(set(ids)) == 27
    assert ids[-1] == new


def test_list_accounts_for_parent_pages_the_parent_only(org: Org, server: EmulatorServer) -> None:
    seed(server, 30)
    target = org.create_ou("Workloads")
    moved = [a["Id"] for a in all_accounts(org.client)][5:8]
    for account_id in moved:
        org.client.move_account(
            AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=target
        )

    def under(parent_id: str) -> list[str]:
        pages = org.client.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id)
        return [a["Id"] for page in pages for a in page["Accounts"]]

    assert under(target) == moved
    assert len(under(org.root_id)) == 28
    assert len(org.client.list_accounts_for_parent(ParentId=org.root_id)["Accounts"]) == 20
    with pytest.raises(ClientError) as raised:
        org.client.list_accounts_for_parent(ParentId="ou-abcd-12345678")
    assert error_of(raised)[0] == "ParentNotFoundException"
