"""Provisioning against the local emulator in-process: asynchronous creation, AWS's
failure reasons, and the organization-wide limit of 5 creations in progress."""

from __future__ import annotations

import json
import urllib.request

import pytest

from vending.choices import AccountStatus, RequestStatus
from vending.emulator import CREATE_ACCOUNT_FAILURE_REASONS, EmulatorServer
from vending.models import Team, VendedAccount
from vending.services.failure_reasons import RETRYABLE_CREATE_FAILURES, failure_message
from vending.services.requests import account_request_approve, account_request_create

pytestmark = pytest.mark.django_db(transaction=True)


def control(server: EmulatorServer, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{server.endpoint_url}/_emulator{path}", data=data)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def approved_request(users, team, envs, cls="general"):
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class=cls,
        environments=envs,
        justification="Launch",
    )
    account_request_approve(request=request, approver=users["approver1"])
    return request


def fail_marker(reason: str) -> str:
    """The emulator's failure marker, shortened to the leading words that name `reason`
    alone (the longest reasons would not fit AWS's 64-character e-mail limit)."""
    words = reason.lower().split("_")
    for n in range(1, len(words) + 1):
        prefix = "_".join(words[:n]).upper()
        if [r for r in CREATE_ACCOUNT_FAILURE_REASONS if r.startswith(prefix)] == [reason]:
            break
    return f"aws+fail-{'-'.join(words[:n])}@example.com"


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.usefixtures("emulator_org")
@pytest.mark.parametrize("reason", sorted(CREATE_ACCOUNT_FAILURE_REASONS))
def test_each_failure_reason_fails_one_account_readably_and_the_rest_continue(
    users, team, emulator, task_queue, reason
):
    request = approved_request(users, team, ["dev", "prod"])
    VendedAccount.objects.filter(request=request, environment="prod").update(
        email=fail_marker(reason)
    )
    task_queue.drain(pause=0.05)
    request.refresh_from_db()
    dev = request.accounts.get(environment="dev")
    prod = request.accounts.get(environment="prod")
    assert dev.status == AccountStatus.READY
    assert prod.status == AccountStatus.FAILED
    assert prod.failure_code == reason
    # Words a person can act on, not AWS's code or a generic fallback.
    assert prod.failure_reason == failure_message(
        reason, email=prod.email, attempts=prod.create_attempts
    )
    assert "retry" in prod.failure_reason.lower()
    assert request.status == RequestStatus.FAILED
    expected_attempts = 3 if reason in RETRYABLE_CREATE_FAILURES else 1
    assert prod.create_attempts == expected_attempts
    assert control(emulator, "/stats")["calls"]["CreateAccount"] == 1 + expected_attempts


def test_failure_reason_messages_are_specific():
    generic = failure_message("SOMETHING_NEW")
    for reason in CREATE_ACCOUNT_FAILURE_REASONS:
        assert failure_message(reason, email="x@example.com", attempts=3) != generic


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.usefixtures("emulator_org")
def test_at_most_five_creations_in_flight_across_requests(users, team, emulator, task_queue):
    other = Team.objects.create(slug="ledger", name="Ledger")
    other.leads.add(users["lead"])
    # Long enough for the first five CreateAccount calls to overlap on a busy machine.
    control(emulator, "/config", {"create_delay_seconds": 2.0})
    first = approved_request(users, team, ["dev", "test", "qa", "prod"])
    second = approved_request(users, other, ["dev", "test", "qa", "prod"])
    task_queue.drain(pause=0.05)
    for request in (first, second):
        request.refresh_from_db()
        assert request.status == RequestStatus.COMPLETED
    stats = control(emulator, "/stats")
    assert stats["calls"]["CreateAccount"] == 8
    assert stats["max_in_progress_creations"] == 5


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.usefixtures("emulator_org")
def test_creations_started_outside_the_portal_make_it_wait_not_fail(
    users, team, emulator, task_queue
):
    import boto3

    control(emulator, "/config", {"create_delay_seconds": 1.0})
    outside = boto3.client(
        "organizations", endpoint_url=emulator.endpoint_url, region_name="us-east-1"
    )
    for i in range(5):  # someone else fills AWS's five slots
        outside.create_account(AccountName=f"other-{i}", Email=f"other-{i}@example.com")
    request = approved_request(users, team, ["dev"])
    task_queue.drain(pause=0.3)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    stats = control(emulator, "/stats")
    assert stats["max_in_progress_creations"] == 5
    assert stats["calls"]["CreateAccount"] > 6  # refused at least once, then retried
