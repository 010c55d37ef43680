"""Taking accounts out: RemoveAccountFromOrganization and the asynchronous CloseAccount,
with AWS's refusals and the rolling 30-day close quota."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import Org, configure, control, error_of
from tests.emulator.test_handshakes import answer_as_owner, invite, standalone
from vending.emulator import EmulatorServer


def invited_member(org: Org, server: EmulatorServer, name: str = "Legacy") -> str:
    account_id = standalone(server, name)
    assert answer_as_owner(server, invite(org, account_id)["Id"], "accept")[0] == 200
    return account_id


def account(org: Org, account_id: str) -> dict[str, Any]:
    return dict(org.client.describe_account(AccountId=account_id)["Account"])


def wait_for_state(org: Org, account_id: str, state: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (found := account(org, account_id))["State"] != state and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


# --- RemoveAccountFromOrganization ------------------------------------------------------


def test_an_invited_account_is_removed_and_stands_alone_again(
    org: Org, server: EmulatorServer
) -> None:
    account_id = invited_member(org, server)

    org.client.remove_account_from_organization(AccountId=account_id)

    with pytest.raises(ClientError) as raised:
        org.client.describe_account(AccountId=account_id)
    assert error_of(raised)[0] == "AccountNotFoundException"
    assert control(server, "GET", "/accounts")[1]["accounts"] == [
        {"account_id": account_id, "name": "Legacy", "email": "legacy@example.com"}
    ]
    # FullAWSAccess no longer lists it, and it can be invited back.
    targets = org.client.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]
    assert account_id not in {t["TargetId"] for t in targets}
    assert invite(org, account_id)["State"] == "OPEN"


def test_a_created_account_cannot_leave_without_what_a_standalone_account_needs(
    org: Org, server: EmulatorServer
) -> None:
    account_id = org.create_account("made", "made@example.com")

    with pytest.raises(ClientError) as raised:
        org.client.remove_account_from_organization(AccountId=account_id)
    assert error_of(raised) == ("ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
    control(server, "POST", "/clock", {"advance_days": 7})
    with pytest.raises(ClientError) as raised:
        org.client.remove_account_from_organization(AccountId=account_id)
    code, reason = error_of(raised)
    assert (code, reason) == (
        "ConstraintViolationException",
        "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED",
    )
    assert "payment method" in raised.value.response["Error"]["Message"]
    assert account(org, account_id)["Status"] == "ACTIVE"  # nothing changed

    status, _ = control(server, "POST", f"/accounts/{account_id}/leave-blocker", {"reason": None})
    assert status == 200
    org.client.remove_account_from_organization(AccountId=account_id)


@pytest.mark.parametrize(
    "reason",
    [
        "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA",
        "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION",
        "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED",
    ],
)
def test_a_leave_blocker_reproduces_aws_refusal(
    org: Org, server: EmulatorServer, reason: str
) -> None:
    account_id = invited_member(org, server)
    control(server, "POST", f"/accounts/{account_id}/leave-blocker", {"reason": reason})

    with pytest.raises(ClientError) as raised:
        org.client.remove_account_from_organization(AccountId=account_id)

    assert error_of(raised) == ("ConstraintViolationException", reason)
    assert account(org, account_id)["Status"] == "ACTIVE"


def test_leave_blocker_input_is_checked(org: Org, server: EmulatorServer) -> None:
    account_id = invited_member(org, server)

    path = f"/accounts/{account_id}/leave-blocker"
    assert control(server, "POST", path, {"reason": "BECAUSE"})[0] == 400
    assert control(server, "POST", path, {})[0] == 400
    assert (
        control(server, "POST", "/accounts/999999999999/leave-blocker", {"reason": None})[0] == 404
    )


def test_the_management_account_is_never_removed(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.remove_account_from_organization(AccountId=org.management_account_id)

    assert error_of(raised)[0] == "MasterCannotLeaveOrganizationException"


@pytest.mark.parametrize(
    ("account_id", "code"),
    [("999999999999", "AccountNotFoundException"), ("12", "InvalidInputException")],
)
def test_removing_an_unknown_or_malformed_account(org: Org, account_id: str, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.remove_account_from_organization(AccountId=account_id)

    assert error_of(raised)[0] == code


# --- CloseAccount -----------------------------------------------------------------------


@pytest.mark.slow
def test_closing_is_asynchronous_pending_closure_then_suspended(
    org: Org, server: EmulatorServer
) -> None:
    configure(server, close_delay_seconds=0.3)
    account_id = org.create_account("made", "made@example.com")

    org.client.close_account(AccountId=account_id)

    pending = account(org, account_id)
    assert (pending["Status"], pending["State"]) == ("PENDING_CLOSURE", "PENDING_CLOSURE")
    with pytest.raises(ClientError) as raised:
        org.client.close_account(AccountId=account_id)
    assert error_of(raised)[0] == "ConflictException"
    listed = {a["Id"]: a for a in org.client.list_accounts()["Accounts"]}
    assert listed[account_id]["Status"] == "PENDING_CLOSURE"

    suspended = wait_for_state(org, account_id, "SUSPENDED")
    assert (suspended["Status"], suspended["State"]) == ("SUSPENDED", "SUSPENDED")
    with pytest.raises(ClientError) as raised:
        org.client.close_account(AccountId=account_id)
    assert error_of(raised)[0] == "AccountAlreadyClosedException"

    control(server, "POST", "/clock", {"advance_days": 90})
    closed = account(org, account_id)
    assert (closed["Status"], closed["State"]) == ("SUSPENDED", "CLOSED")


def test_the_management_account_is_never_closed(org: Org) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.close_account(AccountId=org.management_account_id)

    assert error_of(raised) == ("ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
    assert account(org, org.management_account_id)["Status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("account_id", "code"),
    [("999999999999", "AccountNotFoundException"), ("abc", "InvalidInputException")],
)
def test_closing_an_unknown_or_malformed_account(org: Org, account_id: str, code: str) -> None:
    with pytest.raises(ClientError) as raised:
        org.client.close_account(AccountId=account_id)

    assert error_of(raised)[0] == code


def close_quota_error(org: Org, account_id: str) -> tuple[str, str | None]:
    with pytest.raises(ClientError) as raised:
        org.client.close_account(AccountId=account_id)
    return error_of(raised)


@pytest.mark.parametrize(("members", "quota"), [(12, 10), (150, 15)])
def test_the_close_quota_is_ten_percent_of_members_at_least_ten(
    org: Org, server: EmulatorServer, members: int, quota: int
) -> None:
    configure(server, close_delay_seconds=0)
    control(server, "POST", "/seed-accounts", {"count": members})
    ids = [a["Id"] for a in org.client.list_accounts_for_parent(ParentId=org.root_id)["Accounts"]]
    member_ids = [i for i in ids if i != org.management_account_id]
    while len(member_ids) < quota + 1:
        page = org.client.list_accounts(NextToken=str(len(member_ids)))
        member_ids += [a["Id"] for a in page["Accounts"] if a["Id"] != org.management_account_id]

    for account_id in member_ids[:quota]:
        org.client.close_account(AccountId=account_id)

    assert close_quota_error(org, member_ids[quota]) == (
        "ConstraintViolationException",
        "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
    )
    assert account(org, member_ids[quota])["Status"] == "ACTIVE"
    # The window rolls: 30 days after the first closures, closing works again.
    control(server, "POST", "/clock", {"advance_days": 30})
    org.client.close_account(AccountId=member_ids[quota])


@pytest.mark.slow  # seeds 12,000 accounts
@pytest.mark.serial
def test_the_close_quota_is_at_most_a_thousand_and_configurable(
    org: Org, server: EmulatorServer
) -> None:
    from vending.emulator.closing import close_quota
    from vending.emulator.config import EmulatorConfig
    from vending.emulator.protocol import Caller

    control(server, "POST", "/seed-accounts", {"count": 12_000})
    backend = Caller(org.management_account_id, "aws").backend()
    assert close_quota(backend, EmulatorConfig()) == 1000
    configure(server, close_quota_min=1, close_delay_seconds=0)
    assert close_quota(backend, EmulatorConfig(close_quota_percent=0, close_quota_min=1)) == 1
    configure(server, close_quota_percent=0)
    first, second = [
        a["Id"]
        for a in org.client.list_accounts(MaxResults=3)["Accounts"]
        if a["Id"] != org.management_account_id
    ][:2]
    org.client.close_account(AccountId=first)
    assert close_quota_error(org, second)[1] == "CLOSE_ACCOUNT_QUOTA_EXCEEDED"
