"""Injected faults: the right AWS error, no state change, reproducible, retry-safe."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries import standard

from tests.emulator.conftest import Org, client, configure, control, wait_for_creation
from vending.emulator import EmulatorServer


def ou_names(org: Org) -> list[str]:
    answer = org.client.list_organizational_units_for_parent(ParentId=org.root_id)
    return sorted(ou["Name"] for ou in answer["OrganizationalUnits"])


@pytest.mark.parametrize(
    "kind, code, status",
    [
        ("throttle", "TooManyRequestsException", 400),
        ("concurrent", "ConcurrentModificationException", 400),
        ("5xx", "ServiceException", 500),
    ],
)
def test_each_fault_kind_is_the_aws_error(
    org: Org, server: EmulatorServer, kind: str, code: str, status: int
) -> None:
    configure(server, fault_rate=1.0, fault_kinds=[kind])

    with pytest.raises(ClientError) as raised:
        org.client.create_organizational_unit(ParentId=org.root_id, Name="Faulted")

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    configure(server, fault_rate=0.0)
    assert ou_names(org) == []  # the faulted call changed nothing


def test_a_faulted_create_account_creates_nothing(org: Org, server: EmulatorServer) -> None:
    configure(server, fault_rate=1.0)

    with pytest.raises(ClientError):
        org.client.create_account(AccountName="x", Email="x@example.com")

    configure(server, fault_rate=0.0)
    assert org.client.list_create_account_status()["CreateAccountStatuses"] == []
    assert control(server, "GET", "/stats")[1]["in_progress_creations"] == 0


def test_sts_and_control_endpoints_are_never_faulted(org: Org, server: EmulatorServer) -> None:
    configure(server, fault_rate=1.0)

    assert client(server, "sts").get_caller_identity()["Account"] == org.management_account_id
    assert control(server, "GET", "/health") == (200, {"ok": True})
    assert control(server, "GET", "/stats")[0] == 200


def test_faults_can_target_chosen_operations(org: Org, server: EmulatorServer) -> None:
    configure(server, fault_rate=1.0, fault_operations=["CreateOrganizationalUnit"])

    with pytest.raises(ClientError):
        org.client.create_organizational_unit(ParentId=org.root_id, Name="Faulted")
    assert org.client.list_roots()["Roots"][0]["Id"] == org.root_id


def test_a_seed_makes_the_fault_stream_reproducible(org: Org, server: EmulatorServer) -> None:
    def outcomes() -> list[str]:
        results = []
        for _ in range(30):
            try:
                org.client.list_roots()
                results.append("ok")
            except ClientError as error:
                results.append(error.response["Error"]["Code"])
        return results

    configure(server, fault_rate=0.5, seed=1234)
    first = outcomes()
    configure(server, seed=1234)
    second = outcomes()

    assert first == second
    assert "ok" in first and len(set(first)) > 2  # a mix of successes and every kind


def test_stats_count_calls_and_faults_separately(org: Org, server: EmulatorServer) -> None:
    control(server, "POST", "/stats/reset")
    org.client.list_roots()
    configure(server, fault_rate=1.0)
    for _ in range(2):
        with pytest.raises(ClientError):
            org.client.list_roots()

    stats = control(server, "GET", "/stats")[1]

    assert stats["calls"] == {"ListRoots": 3}
    assert stats["faults"] == {"ListRoots": 2}


def test_standard_retries_ride_out_faults_without_duplicates(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real backoff would make this test slow; the retry decisions are what matter.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    # Standard mode retries throttling and 5xx; ConcurrentModificationException is left
    # to the application (the portal's own retry), so it is not injected here.
    configure(server, fault_rate=0.5, fault_kinds=["throttle", "5xx"], seed=42)
    retrying: Any = client(
        server, config=Config(retries={"mode": "standard", "total_max_attempts": 20})
    )

    retrying.create_organization(FeatureSet="ALL")
    root_id = retrying.list_roots()["Roots"][0]["Id"]
    retrying.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
    ou_ids = [
        retrying.create_organizational_unit(ParentId=root_id, Name=name)["OrganizationalUnit"]["Id"]
        for name in ("Dev", "Test", "Prod")
    ]
    policy_id = retrying.create_policy(
        Name="DenyS3",
        Description="deny s3",
        Type="SERVICE_CONTROL_POLICY",
        Content='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*"}]}',
    )["Policy"]["PolicySummary"]["Id"]
    retrying.attach_policy(PolicyId=policy_id, TargetId=ou_ids[0])
    request = retrying.create_account(AccountName="App", Email="app@example.com")
    account_id = wait_for_creation(retrying, request["CreateAccountStatus"]["Id"])["AccountId"]
    retrying.move_account(
        AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_ids[0]
    )

    stats = control(server, "GET", "/stats")[1]
    configure(server, fault_rate=0.0)
    org = Org(retrying, root_id, "")
    assert sum(stats["faults"].values()) > 0
    assert ou_names(org) == ["Dev", "Prod", "Test"]
    assert len(retrying.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]) == 2
    assert len(retrying.list_create_account_status()["CreateAccountStatuses"]) == 1
    assert len(retrying.list_accounts()["Accounts"]) == 2
    assert org.scp_ids(ou_ids[0]) == {"p-FullAWSAccess", policy_id}
    assert retrying.list_parents(ChildId=account_id)["Parents"][0]["Id"] == ou_ids[0]


def test_a_lost_response_carries_the_call_out_then_answers_5xx(
    org: Org, server: EmulatorServer
) -> None:
    ou_id = org.create_ou("Workloads")
    configure(
        server,
        fault_rate=1.0,
        fault_kinds=["lost_response"],
        fault_operations=["CreateAccount", "MoveAccount"],
    )

    with pytest.raises(ClientError) as created:
        org.client.create_account(AccountName="lost", Email="lost@example.com")
    # Other operations are not faulted: the creation the caller never heard of is there.
    [creation] = org.client.list_create_account_status()["CreateAccountStatuses"]
    account_id = wait_for_creation(org.client, creation["Id"])["AccountId"]
    with pytest.raises(ClientError) as moved:
        org.client.move_account(
            AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=ou_id
        )

    for raised in (created, moved):
        assert raised.value.response["Error"]["Code"] == "ServiceException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert creation["AccountName"] == "lost"
    assert org.client.list_parents(ChildId=account_id)["Parents"][0]["Id"] == ou_id
    assert control(server, "GET", "/stats")[1]["faults"] == {"CreateAccount": 1, "MoveAccount": 1}


@pytest.mark.slow
def test_lost_responses_hit_the_chosen_operations_at_the_chosen_rate(
    org: Org, server: EmulatorServer
) -> None:
    configure(
        server,
        create_delay_seconds=0,  # no creation stays in progress to hit the limit of 5
        fault_rate=0.5,
        fault_kinds=["lost_response"],
        fault_operations=["CreateAccount"],
        seed=3,
    )
    lost = 0
    for i in range(40):
        try:
            org.client.create_account(AccountName=f"a{i}", Email=f"a{i}@example.com")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ServiceException"
            lost += 1
        org.client.list_roots()  # never faulted: not a chosen operation

    # Every call was carried out, answered or not; about half of the answers were lost.
    statuses = org.client.get_paginator("list_create_account_status").paginate()
    assert sum(len(page["CreateAccountStatuses"]) for page in statuses) == 40
    assert 10 <= lost <= 30
    assert control(server, "GET", "/stats")[1]["faults"] == {"CreateAccount": lost}
