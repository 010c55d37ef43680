"""Invitations: InviteAccountToOrganization, the handshake calls, the invited account's
answer (API and control endpoints), expiry on the emulator's clock, the daily limit."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import NO_RETRIES, Org, client, configure, control, error_of
from vending.emulator import EmulatorServer

HANDSHAKE_ARN = re.compile(
    r"arn:aws:organizations::\d{12}:handshake/o-[a-z0-9]{10,32}/invite/h-[0-9a-z]{8,32}"
)


def standalone(server: EmulatorServer, name: str = "Legacy", email: str | None = None) -> str:
    status, account = control(
        server, "POST", "/accounts", {"name": name, "email": email or f"{name.lower()}@example.com"}
    )
    assert status == 200, account
    return str(account["account_id"])


def invite(org: Org, target: str, kind: str = "ACCOUNT", **extra: Any) -> dict[str, Any]:
    answer = org.client.invite_account_to_organization(Target={"Id": target, "Type": kind}, **extra)
    return dict(answer["Handshake"])


def as_account(server: EmulatorServer, account_id: str) -> Any:
    """An Organizations client with the credentials of ``account_id`` (a role assumed in
    it), as the invited account's owner would call."""
    sts = client(server, "sts")
    role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="owner")["Credentials"]
    return client(server, credentials=credentials, config=NO_RETRIES)


def answer_as_owner(server: EmulatorServer, handshake_id: str, verb: str) -> tuple[int, dict]:
    return control(server, "POST", f"/handshakes/{handshake_id}/{verb}")


def test_an_invitation_is_an_open_handshake_shaped_as_aws_answers_it(
    org: Org, server: EmulatorServer
) -> None:
    account_id = standalone(server)

    handshake = invite(org, account_id, Notes="Welcome", Tags=[{"Key": "team", "Value": "data"}])

    organization = org.client.describe_organization()["Organization"]
    assert re.fullmatch(r"h-[0-9a-z]{8,32}", handshake["Id"])
    assert HANDSHAKE_ARN.fullmatch(handshake["Arn"])
    assert handshake["State"] == "OPEN"
    assert handshake["Action"] == "INVITE"
    assert handshake["Parties"] == [
        {"Id": organization["Id"], "Type": "ORGANIZATION"},
        {"Id": account_id, "Type": "ACCOUNT"},
    ]
    lifetime = handshake["ExpirationTimestamp"] - handshake["RequestedTimestamp"]
    assert lifetime == timedelta(days=15)
    resources = {r["Type"]: r for r in handshake["Resources"]}
    assert resources["ACCOUNT"]["Value"] == account_id
    assert resources["NOTES"]["Value"] == "Welcome"
    details = {r["Type"]: r["Value"] for r in resources["ORGANIZATION"]["Resources"]}
    assert details["MASTER_EMAIL"] == organization["MasterAccountEmail"]
    assert details["ORGANIZATION_FEATURE_SET"] == "FULL"
    assert org.client.describe_handshake(HandshakeId=handshake["Id"])["Handshake"] == handshake


def test_accepting_moves_the_account_under_the_root_with_its_tags(
    org: Org, server: EmulatorServer
) -> None:
    account_id = standalone(server, "Legacy")
    handshake = invite(org, "legacy@example.com", "EMAIL", Tags=[{"Key": "team", "Value": "data"}])

    status, answered = answer_as_owner(server, handshake["Id"], "accept")

    assert status == 200 and answered["Handshake"]["State"] == "ACCEPTED"
    account = org.client.describe_account(AccountId=account_id)["Account"]
    assert (account["Name"], account["Email"]) == ("Legacy", "legacy@example.com")
    assert (account["JoinedMethod"], account["Status"], account["State"]) == (
        "INVITED",
        "ACTIVE",
        "ACTIVE",
    )
    assert org.client.list_parents(ChildId=account_id)["Parents"][0]["Id"] == org.root_id
    assert "p-FullAWSAccess" in org.scp_ids(account_id)
    tags = org.client.list_tags_for_resource(ResourceId=account_id)["Tags"]
    assert tags == [{"Key": "team", "Value": "data"}]
    assert control(server, "GET", "/accounts")[1] == {"accounts": []}
    described = org.client.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]
    assert described["State"] == "ACCEPTED"


def test_the_invited_account_answers_with_its_own_credentials(
    org: Org, server: EmulatorServer
) -> None:
    account_id = standalone(server)
    handshake = invite(org, account_id)
    owner = as_account(server, account_id)

    listed = owner.list_handshakes_for_account()["Handshakes"]
    assert [h["Id"] for h in listed] == [handshake["Id"]]
    with pytest.raises(ClientError) as raised:
        owner.cancel_handshake(HandshakeId=handshake["Id"])
    assert error_of(raised)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as raised:
        org.client.accept_handshake(HandshakeId=handshake["Id"])
    assert error_of(raised)[0] == "AccessDeniedException"

    accepted = owner.accept_handshake(HandshakeId=handshake["Id"])["Handshake"]

    assert accepted["State"] == "ACCEPTED"
    assert owner.describe_organization()["Organization"]["Id"] == handshake["Parties"][0]["Id"]
    assert org.client.list_handshakes_for_account()["Handshakes"] == []


def test_declined_and_canceled_handshakes_end_and_cannot_move_again(
    org: Org, server: EmulatorServer
) -> None:
    first, second = standalone(server, "One"), standalone(server, "Two")
    declined, canceled = invite(org, first), invite(org, second)

    assert answer_as_owner(server, declined["Id"], "decline")[1]["Handshake"]["State"] == "DECLINED"
    answer = org.client.cancel_handshake(HandshakeId=canceled["Id"])["Handshake"]
    assert answer["State"] == "CANCELED"

    with pytest.raises(ClientError) as raised:
        org.client.cancel_handshake(HandshakeId=canceled["Id"])
    assert error_of(raised)[0] == "HandshakeAlreadyInStateException"
    with pytest.raises(ClientError) as raised:
        org.client.cancel_handshake(HandshakeId=declined["Id"])
    assert error_of(raised)[0] == "InvalidHandshakeTransitionException"
    status, refusal = answer_as_owner(server, canceled["Id"], "accept")
    assert (status, refusal["code"]) == (409, "InvalidHandshakeTransitionException")
    status, refusal = answer_as_owner(server, declined["Id"], "decline")
    assert (status, refusal["code"]) == (409, "HandshakeAlreadyInStateException")
    # Neither account joined; both can be invited again.
    assert len(control(server, "GET", "/accounts")[1]["accounts"]) == 2
    assert invite(org, first)["State"] == "OPEN"


def test_a_handshake_expires_after_15_days_and_disappears_30_days_later(
    org: Org, server: EmulatorServer
) -> None:
    handshake = invite(org, standalone(server))

    control(server, "POST", "/clock", {"advance_days": 14.9})
    assert (
        org.client.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "OPEN"
    )
    status, clock = control(server, "POST", "/clock", {"advance_hours": 3})
    assert status == 200 and clock["offset_seconds"] > 15 * 86400

    listed = org.client.list_handshakes_for_organization()["Handshakes"]
    assert [(h["Id"], h["State"]) for h in listed] == [(handshake["Id"], "EXPIRED")]
    status, refusal = answer_as_owner(server, handshake["Id"], "accept")
    assert (status, refusal["code"]) == (409, "InvalidHandshakeTransitionException")

    control(server, "POST", "/clock", {"advance_days": 30})
    assert org.client.list_handshakes_for_organization()["Handshakes"] == []
    with pytest.raises(ClientError) as raised:
        org.client.describe_handshake(HandshakeId=handshake["Id"])
    assert error_of(raised)[0] == "HandshakeNotFoundException"


def test_twenty_invitations_a_day_then_the_limit(org: Org, server: EmulatorServer) -> None:
    sent = [invite(org, f"{100000000000 + n}") for n in range(20)]
    org.client.cancel_handshake(HandshakeId=sent[0]["Id"])  # canceled ones were sent too

    with pytest.raises(ClientError) as raised:
        invite(org, "200000000000")

    assert error_of(raised) == (
        "HandshakeConstraintViolationException",
        "HANDSHAKE_RATE_LIMIT_EXCEEDED",
    )
    assert len(org.client.list_handshakes_for_organization()["Handshakes"]) == 20
    control(server, "POST", "/clock", {"advance_hours": 23})
    with pytest.raises(ClientError):
        invite(org, "200000000000")
    control(server, "POST", "/clock", {"advance_hours": 1})
    assert invite(org, "200000000000")["State"] == "OPEN"


def test_the_daily_limit_is_configurable(org: Org, server: EmulatorServer) -> None:
    configure(server, invitations_per_day=1)
    invite(org, "100000000001")

    with pytest.raises(ClientError) as raised:
        invite(org, "100000000002")

    assert error_of(raised)[1] == "HANDSHAKE_RATE_LIMIT_EXCEEDED"


def test_an_open_invitation_is_not_sent_twice(org: Org, server: EmulatorServer) -> None:
    account_id = standalone(server, "Legacy")
    first = invite(org, account_id)

    for target, kind in ((account_id, "ACCOUNT"), ("LEGACY@example.com", "EMAIL")):
        with pytest.raises(ClientError) as raised:
            invite(org, target, kind)
        assert error_of(raised)[0] == "DuplicateHandshakeException"
    org.client.cancel_handshake(HandshakeId=first["Id"])
    assert invite(org, "legacy@example.com", "EMAIL")["State"] == "OPEN"


def test_accounts_already_in_an_organization_are_refused(org: Org, server: EmulatorServer) -> None:
    member = org.create_account("member", "member@example.com")

    for target, kind in (
        (member, "ACCOUNT"),
        ("member@example.com", "EMAIL"),
        (org.management_account_id, "ACCOUNT"),
    ):
        with pytest.raises(ClientError) as raised:
            invite(org, target, kind)
        assert error_of(raised) == (
            "HandshakeConstraintViolationException",
            "ALREADY_IN_AN_ORGANIZATION",
        )
    assert org.client.list_handshakes_for_organization()["Handshakes"] == []


@pytest.mark.parametrize(
    ("target", "extra", "reason"),
    [
        ({"Id": "o-abcdefghij", "Type": "ORGANIZATION"}, {}, "INVALID_PARTY_TYPE_TARGET"),
        ({"Id": "12345", "Type": "ACCOUNT"}, {}, "INVALID_PATTERN"),
        ({"Id": "not-an-address", "Type": "EMAIL"}, {}, "INVALID_EMAIL_ADDRESS_TARGET"),
        ({"Id": "123456789012", "Type": "ACCOUNT"}, {"Notes": "x" * 1025}, "MAX_LENGTH_EXCEEDED"),
    ],
)
def test_invalid_invitations_are_refused_and_send_nothing(
    org: Org, target: dict[str, str], extra: dict[str, str], reason: str
) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.invite_account_to_organization(Target=target, **extra)

    assert error_of(raised) == ("InvalidInputException", reason)
    assert org.client.list_handshakes_for_organization()["Handshakes"] == []


def test_handshake_ids_and_lists_are_checked(org: Org, server: EmulatorServer) -> None:
    for n in range(3):
        invite(org, f"{100000000000 + n}")

    with pytest.raises(ClientError) as raised:
        org.client.describe_handshake(HandshakeId="h-nope")
    assert error_of(raised) == ("InvalidInputException", "INVALID_PATTERN")
    with pytest.raises(ClientError) as raised:
        org.client.describe_handshake(HandshakeId="h-0123456789abcdef")
    assert error_of(raised)[0] == "HandshakeNotFoundException"
    with pytest.raises(ClientError) as raised:
        org.client.list_handshakes_for_organization(
            Filter={"ActionType": "INVITE", "ParentHandshakeId": "h-0123456789abcdef"}
        )
    assert error_of(raised)[0] == "InvalidInputException"
    first = org.client.list_handshakes_for_organization(MaxResults=2)
    rest = org.client.list_handshakes_for_organization(MaxResults=2, NextToken=first["NextToken"])
    assert len(first["Handshakes"]) == 2 and len(rest["Handshakes"]) == 1
    assert "NextToken" not in rest
    only_invites = org.client.list_handshakes_for_organization(Filter={"ActionType": "INVITE"})
    assert len(only_invites["Handshakes"]) == 3
    other = org.client.list_handshakes_for_organization(
        Filter={"ActionType": "ENABLE_ALL_FEATURES"}
    )
    assert other["Handshakes"] == []


def test_inviting_needs_an_organization(org_client: Any) -> None:
    with pytest.raises(ClientError) as raised:
        org_client.invite_account_to_organization(Target={"Id": "123456789012", "Type": "ACCOUNT"})

    assert error_of(raised)[0] == "AWSOrganizationsNotInUseException"


def test_control_endpoints_say_what_is_wrong(org: Org, server: EmulatorServer) -> None:
    by_email = invite(org, "nobody@example.com", "EMAIL")

    status, error = answer_as_owner(server, by_email["Id"], "accept")
    assert status == 404 and "POST /_emulator/accounts" in error["error"]
    assert answer_as_owner(server, "h-0123456789abcdef", "accept")[0] == 404
    assert control(server, "POST", "/accounts", {"name": "x", "email": "bad"})[0] == 400
    assert (
        control(server, "POST", "/accounts", {"name": "x", "email": "master@example.com"})[0] == 400
    )
    assert (
        control(server, "POST", "/accounts", {"name": "x", "email": "a@example.com", "x": 1})[0]
        == 400
    )
    for body in ({"advance_days": -1}, {"advance_days": "1"}, {"days": 1}, {}):
        assert control(server, "POST", "/clock", body)[0] == 400
    assert control(server, "GET", "/clock")[1]["offset_seconds"] == 0
