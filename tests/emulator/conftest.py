"""Fixtures for the emulator tests: the suite's in-process emulator (tests/conftest.py),
fresh state per test.

These tests need neither Django nor a database; they talk to a real HTTP server with
plain boto3, as the portal does.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import EMULATOR_CONFIG, emulator_made_once
from vending.emulator import EmulatorServer

# Every test starts from these settings; tests change them through the control API.
TEST_CONFIG = EMULATOR_CONFIG
CREATE_DELAY = TEST_CONFIG.create_delay_seconds
# botocore's "max_attempts" counts retries; "total_max_attempts" counts every attempt.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def control(
    server: EmulatorServer, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """Call a ``/_emulator`` control endpoint; answer (HTTP status, JSON body)."""
    return _control_at(server.endpoint_url, method, path, body)


def _control_at(
    endpoint_url: str, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint_url}/_emulator{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def configure(server: EmulatorServer, **patch: Any) -> dict[str, Any]:
    status, config = control(server, "POST", "/config", patch)
    assert status == 200, config
    return config


def client(
    server: EmulatorServer,
    service: str = "organizations",
    *,
    config: Config | None = None,
    credentials: dict[str, str] | None = None,
) -> Any:
    """A plain boto3 client for the emulator, with test credentials unless given others."""
    keys = credentials or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
    return boto3.client(
        service,  # type: ignore[call-overload]  # boto3-stubs only type literal names
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys.get("SessionToken"),
        config=config,
    )


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str | None]:
    """(error code, ConstraintViolation/InvalidInput ``Reason`` or None) of a ClientError."""
    response: dict[str, Any] = dict(raised.value.response)
    return str(response["Error"]["Code"]), response.get("Reason")


def wait_for_creation(org: Any, request_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """DescribeCreateAccountStatus until the request leaves IN_PROGRESS.

    The first IN_PROGRESS answer moves the emulator's clock on by the creation delay
    instead of sleeping it out (the clock is what the delay is measured on; see
    test_creation_stays_in_progress_until_the_delay_has_passed); after that, poll as a
    client would.
    """
    deadline = time.monotonic() + timeout
    advanced = False
    while True:
        status: dict[str, Any] = org.describe_create_account_status(
            CreateAccountRequestId=request_id
        )["CreateAccountStatus"]
        if status["State"] != "IN_PROGRESS" or time.monotonic() > deadline:
            return status
        if not advanced:
            answer = _control_at(
                str(org.meta.endpoint_url), "POST", "/clock", {"advance_seconds": CREATE_DELAY}
            )
            assert answer[0] == 200, answer
            advanced = True
            continue
        time.sleep(0.05)


@dataclass
class Org:
    """An organization with SCPs enabled, as the portal's bootstrap leaves it."""

    client: Any
    root_id: str
    management_account_id: str

    def create_account(self, name: str, email: str) -> str:
        request = self.client.create_account(AccountName=name, Email=email)
        status = wait_for_creation(self.client, request["CreateAccountStatus"]["Id"])
        assert status["State"] == "SUCCEEDED", status
        return str(status["AccountId"])

    def create_ou(self, name: str, parent_id: str | None = None) -> str:
        answer = self.client.create_organizational_unit(
            ParentId=parent_id or self.root_id, Name=name
        )
        return str(answer["OrganizationalUnit"]["Id"])

    def create_scp(self, name: str, content: str | None = None) -> str:
        document = content or json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*"}]}
        )
        answer = self.client.create_policy(
            Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=document
        )
        return str(answer["Policy"]["PolicySummary"]["Id"])

    def scp_ids(self, target_id: str) -> set[str]:
        answer = self.client.list_policies_for_target(
            TargetId=target_id, Filter="SERVICE_CONTROL_POLICY"
        )
        return {policy["Id"] for policy in answer["Policies"]}


@pytest.fixture
def server(emulator: EmulatorServer) -> EmulatorServer:
    """These tests' name for `emulator`: all state cleared, TEST_CONFIG restored."""
    return emulator


@pytest.fixture(scope="session")
def _one_attempt_client(emulator_server: EmulatorServer) -> Any:
    # A client keeps no state between calls, and building one costs more than most calls.
    return client(emulator_server, config=NO_RETRIES)


@pytest.fixture
def org_client(server: EmulatorServer, _one_attempt_client: Any) -> Any:
    """A client of one attempt, so an injected fault reaches the test instead of being
    retried (one per test process)."""
    return _one_attempt_client


@pytest.fixture
def org(org_client: Any, server: EmulatorServer) -> Org:
    """An organization with SCPs enabled. The first test of a process creates it through
    the API; every later one starts from a checkpoint of that moment (the same
    organization, ids and counters; `emulator_made_once`)."""

    def make() -> tuple[str, str]:
        organization = org_client.create_organization(FeatureSet="ALL")["Organization"]
        root_id = org_client.list_roots()["Roots"][0]["Id"]
        org_client.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")
        return str(root_id), str(organization["MasterAccountId"])

    (root_id, management_account_id), _ = emulator_made_once(server.app, _FRESH_ORG, make)
    return Org(org_client, root_id, management_account_id)


_FRESH_ORG: list[tuple[bytes, tuple[str, str]]] = []
