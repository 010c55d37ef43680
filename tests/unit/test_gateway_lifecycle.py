"""The gateway's calls for invitations, removal and closing: dataclasses out, AWS's
refusals mapped to PermanentAwsError with words a person can act on. Against moto where
moto has the call, and against the emulator for all of them (and AWS's rules)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from vending.aws import OrganizationsGateway, PermanentAwsError, TransientAwsError
from vending.aws.errors import AwsError
from vending.aws.types import HandshakeState
from vending.emulator import EmulatorServer


def control(server: EmulatorServer, path: str, body: Any = None) -> dict[str, Any]:
    data = json.dumps(body if body is not None else {}).encode()
    request = urllib.request.Request(f"{server.endpoint_url}/_emulator{path}", data=data)
    with urllib.request.urlopen(request, timeout=5) as answer:
        return dict(json.load(answer))


@pytest.fixture
def gateway(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> OrganizationsGateway:
    """A gateway on the emulator, with an organization and a close delay long enough to see
    PENDING_CLOSURE."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    emulator.app.update_config({"create_delay_seconds": 0, "close_delay_seconds": 0.3})
    gateway = OrganizationsGateway()
    gateway.create_organization()
    return gateway


@pytest.fixture
def moto_gateway_only() -> Iterator[OrganizationsGateway]:
    with mock_aws():
        gateway = OrganizationsGateway()
        gateway.create_organization()
        yield gateway


def created_account(gateway: OrganizationsGateway, name: str) -> str:
    status = gateway.create_account(name=name, email=f"{name}@example.com")
    for _ in range(100):
        status = gateway.describe_create_account_status(request_id=status.request_id)
        if status.account_id:
            return status.account_id
        time.sleep(0.02)
    raise AssertionError(status)


def standalone(emulator: EmulatorServer, name: str) -> str:
    account = control(emulator, "/accounts", {"name": name, "email": f"{name}@example.com"})
    return str(account["account_id"])


def refusal(call: Any, **kwargs: Any) -> AwsError:
    with pytest.raises(AwsError) as raised:
        call(**kwargs)
    return raised.value


# --- against moto, where moto has the call ---------------------------------------------


def test_moto_removes_and_closes_and_describe_shows_the_status(
    moto_gateway_only: OrganizationsGateway,
) -> None:
    gateway = moto_gateway_only
    leaving = created_account(gateway, "leaving")
    closing = created_account(gateway, "closing")

    assert gateway.describe_account(account_id=closing).status == "ACTIVE"
    gateway.close_account(account_id=closing)
    closed = gateway.describe_account(account_id=closing)
    assert (closed.status, closed.state) == ("SUSPENDED", "SUSPENDED")  # moto: at once
    gateway.remove_account(account_id=leaving)
    assert leaving not in {a.id for a in gateway.list_accounts()}
    error = refusal(gateway.close_account, account_id=closing)
    assert isinstance(error, PermanentAwsError)
    assert error.message == "The account is already closed."


# --- against the emulator ---------------------------------------------------------------


def test_an_invitation_round_trip(gateway: OrganizationsGateway, emulator: EmulatorServer) -> None:
    account_id = standalone(emulator, "legacy")

    handshake = gateway.invite_account(account_id=account_id, notes="Hi", tags={"team": "data"})

    assert (handshake.state, handshake.action, handshake.notes) == (
        HandshakeState.OPEN,
        "INVITE",
        "Hi",
    )
    assert (handshake.target, handshake.target_type) == (account_id, "ACCOUNT")
    assert handshake.organization_id == gateway.describe_organization().id  # type: ignore[union-attr]
    assert handshake.expires_at is not None and handshake.requested_at is not None
    assert (handshake.expires_at - handshake.requested_at).days == 15
    assert gateway.list_handshakes() == [handshake]
    control(emulator, f"/handshakes/{handshake.id}/accept")
    assert gateway.describe_handshake(handshake_id=handshake.id).state == HandshakeState.ACCEPTED
    member = gateway.describe_account(account_id=account_id)
    assert (member.joined_method, member.status, member.state) == ("INVITED", "ACTIVE", "ACTIVE")
    assert gateway.list_tags(resource_id=account_id) == {"team": "data"}

    gateway.remove_account(account_id=account_id)
    assert account_id not in {a.id for a in gateway.list_accounts()}


def test_invitations_by_email_cancel_and_expire(
    gateway: OrganizationsGateway, emulator: EmulatorServer
) -> None:
    by_email = gateway.invite_account(email="someone@example.com")
    assert (by_email.target, by_email.target_type) == ("someone@example.com", "EMAIL")
    canceled = gateway.cancel_handshake(handshake_id=by_email.id)
    assert canceled.state == HandshakeState.CANCELED

    other = gateway.invite_account(account_id="111122223333")
    control(emulator, "/clock", {"advance_days": 15})
    assert gateway.describe_handshake(handshake_id=other.id).state == HandshakeState.EXPIRED
    with pytest.raises(ValueError):
        gateway.invite_account(account_id="111122223333", email="x@example.com")


@pytest.mark.parametrize(
    ("setup", "call", "code", "reason", "words"),
    [
        (
            "member",
            "invite",
            "HandshakeConstraintViolationException",
            "ALREADY_IN_AN_ORGANIZATION",
            "already a member",
        ),
        ("open", "invite", "DuplicateHandshakeException", "", "already open"),
        (
            "limit",
            "invite",
            "HandshakeConstraintViolationException",
            "HANDSHAKE_RATE_LIMIT_EXCEEDED",
            "20 invitations a day",
        ),
        (
            "blocked",
            "remove",
            "ConstraintViolationException",
            "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION",
            "verify a phone number",
        ),
        ("created", "remove", "ConstraintViolationException", "WAIT_PERIOD_ACTIVE", "first 7 days"),
        ("management", "remove", "MasterCannotLeaveOrganizationException", "", "never leave"),
        (
            "management",
            "close",
            "ConstraintViolationException",
            "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
            "cannot be closed",
        ),
        ("closing", "close", "ConflictException", "", "already being closed"),
        (
            "quota",
            "close",
            "ConstraintViolationException",
            "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
            "at most 10%",
        ),
        ("ended", "cancel", "InvalidHandshakeTransitionException", "", "already ended"),
    ],
)
def test_refusals_are_permanent_and_say_what_to_do(
    gateway: OrganizationsGateway,
    emulator: EmulatorServer,
    setup: str,
    call: str,
    code: str,
    reason: str,
    words: str,
) -> None:
    target = _arrange(gateway, emulator, setup)
    calls = {
        "invite": lambda: gateway.invite_account(account_id=target),
        "remove": lambda: gateway.remove_account(account_id=target),
        "close": lambda: gateway.close_account(account_id=target),
        "cancel": lambda: gateway.cancel_handshake(handshake_id=target),
    }

    error = refusal(calls[call])

    assert isinstance(error, PermanentAwsError)
    assert (error.code, error.reason) == (code, reason)
    assert words in error.message
    assert error.aws_message and error.aws_message != error.message


def _arrange(gateway: OrganizationsGateway, emulator: EmulatorServer, setup: str) -> str:
    management = gateway.describe_organization().management_account_id  # type: ignore[union-attr]
    if setup == "management":
        return management
    if setup == "member":
        return created_account(gateway, "member")
    if setup == "created":
        return created_account(gateway, "made")
    if setup in ("open", "limit"):
        emulator.app.update_config({"invitations_per_day": 1})
        gateway.invite_account(account_id="111122223333")
        return "111122223333" if setup == "open" else "111122224444"
    if setup == "blocked":
        account_id = standalone(emulator, "legacy")
        control(emulator, f"/handshakes/{gateway.invite_account(account_id=account_id).id}/accept")
        control(
            emulator,
            f"/accounts/{account_id}/leave-blocker",
            {"reason": "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION"},
        )
        return account_id
    if setup == "closing":
        emulator.app.update_config({"close_delay_seconds": 60})
        account_id = created_account(gateway, "closing")
        gateway.close_account(account_id=account_id)
        return account_id
    if setup == "quota":
        emulator.app.update_config({"close_quota_min": 1, "close_quota_percent": 0})
        gateway.close_account(account_id=created_account(gateway, "first"))
        return created_account(gateway, "second")
    assert setup == "ended"  # an invitation its recipient declined
    account_id = standalone(emulator, "decliner")
    handshake = gateway.invite_account(account_id=account_id)
    control(emulator, f"/handshakes/{handshake.id}/decline")
    return handshake.id


def test_closing_is_seen_through_describe_account(gateway: OrganizationsGateway) -> None:
    account_id = created_account(gateway, "closing")

    gateway.close_account(account_id=account_id)

    assert gateway.describe_account(account_id=account_id).status == "PENDING_CLOSURE"
    for _ in range(100):
        if gateway.describe_account(account_id=account_id).status == "SUSPENDED":
            break
        time.sleep(0.02)
    assert gateway.describe_account(account_id=account_id).state == "SUSPENDED"


def test_a_lost_answer_to_a_close_is_not_retried_blindly(
    gateway: OrganizationsGateway, emulator: EmulatorServer
) -> None:
    account_id = created_account(gateway, "closing")
    emulator.app.update_config(
        {"fault_rate": 1.0, "fault_kinds": ["lost_response"], "fault_operations": ["CloseAccount"]}
    )

    error = refusal(gateway.close_account, account_id=account_id)

    assert isinstance(error, TransientAwsError) and error.may_have_acted
    assert emulator.app.stats()["calls"]["CloseAccount"] == 1  # one attempt, not five
    emulator.app.update_config({"fault_rate": 0})
    assert gateway.describe_account(account_id=account_id).status == "PENDING_CLOSURE"
