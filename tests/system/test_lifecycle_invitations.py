"""Invitations through real processes: PostgreSQL, Redis, a Celery worker with beat and
the emulator. One portal drives every ending of an invitation (accepted, declined,
canceled from the management account, expired), the day's limit (the next invitation
queued with its expected send time, sent the next day) and the removal of an invited
account, with the worker SIGKILLed while invitations are being sent; AWS's side is read
through the emulator's boto3 client.

The day's limit is lowered to 4 (portal: VENDING_INVITES_PER_DAY, emulator:
invitations_per_day) so the test sends 5 invitations instead of 21; that the default is
20 on both sides is tests/test_settings.py's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.system.harness import ou_path_of

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services, pytest.mark.timeout(900)]

PER_DAY = 4
SYNC_SECONDS = 2
TEAM = "checkout"


def invite(portal, account_id: str, env: str) -> int:
    return portal.request(
        "request_invite", "--as", "lead", "--team", TEAM, "--class", "hipaa", "--env", env,
        "--account-id", account_id, "--justification", "Bring the legacy account in",
    )  # fmt: skip


def approve(portal, request_id: int) -> None:
    portal.manage("request_approve", str(request_id), "--as", "approver1")


def account_of(status: dict) -> dict:
    (account,) = status["accounts"] or [status["target_account"]]
    return account


def handshakes_by_target(client) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    pages = client.get_paginator("list_handshakes_for_organization").paginate()
    for handshake in (h for page in pages for h in page["Handshakes"]):
        target = next(p["Id"] for p in handshake["Parties"] if p["Type"] == "ACCOUNT")
        found.setdefault(target, []).append(handshake)
    return found


def failed_with(portal, request_id: int, words: str) -> None:
    portal.wait_states(request_id, lambda r, a: r == "failed", what=f"#{request_id} to fail")
    status = portal.status(request_id)
    assert words in status["decision_reason"], status
    account = account_of(status)
    assert account["status"] == "cancelled" and words in account["failure_reason"], account


def account_is(state: str):
    return lambda request, account: account["status"] == state


def test_every_ending_of_an_invitation_and_the_days_limit_with_a_worker_killed(make_portal):
    # Half the invitations are carried out and then answered with a 5xx (the answer lost):
    # the portal must find the handshake it made, not invite again.
    portal, emulator = make_portal(
        create_delay=1,
        seed=5,
        faults={
            "fault_rate": 0.5,
            "fault_kinds": ["lost_response"],
            "fault_operations": ["InviteAccountToOrganization"],
        },
    )
    emulator.control("/_emulator/config", {"invitations_per_day": PER_DAY})
    portal.env.update(
        VENDING_INVITES_PER_DAY=str(PER_DAY), VENDING_LIFECYCLE_SYNC_SECONDS=str(SYNC_SECONDS)
    )
    client = emulator.client()
    started = time.monotonic()

    def phase(name: str) -> None:  # shown when the test fails (and with -s)
        print(f"{time.monotonic() - started:6.1f}s {name}")

    ids = {name: emulator.standalone_account(f"legacy-{name}") for name in "ADCEQ"}
    envs = dict(zip("ADCE", ["dev", "test", "qa", "prod"], strict=True))
    requests = {name: invite(portal, ids[name], env) for name, env in envs.items()}
    portal.start_worker()
    for name in "ADCE":
        approve(portal, requests[name])
    # E is a prod account of a regulated class: a second approver. The worker is
    # SIGKILLed as soon as it has the last approval, with invitations being sent.
    portal.manage("request_approve", str(requests["E"]), "--as", "approver2")
    portal.kill_workers()
    portal.start_worker()
    for name in "ADCE":
        portal.wait_states(requests[name], account_is("invited"), what=f"{name} invited")
    emulator.control("/_emulator/config", {"fault_rate": 0})
    phase("four invitations sent")

    # The day's limit is spent: the fifth waits, its expected send time shown.
    preview = portal.manage(
        "request_invite", "--as", "lead", "--team", TEAM, "--class", "general", "--env", "dev",
        "--account-id", ids["Q"], "--preview",
    )  # fmt: skip
    assert "can be sent" in preview and "(dev, general) -> GeneralOU" in preview, preview
    queued = portal.request(
        "request_invite", "--as", "lead", "--team", TEAM, "--class", "general", "--env", "dev",
        "--account-id", ids["Q"], "--justification", "The fifth of the day",
    )  # fmt: skip
    approve(portal, queued)
    portal.wait_states(queued, lambda r, a: a["invite_expected_at"] is not None)
    status = portal.status(queued)
    assert status["status"] == "provisioning" and account_of(status)["status"] == "pending"
    expected = datetime.fromisoformat(account_of(status)["invite_expected_at"])
    hours = (expected - datetime.now(UTC)).total_seconds() / 3600
    assert 23 < hours <= 24, expected  # a day after the first of the day's invitations
    assert ids["Q"] not in handshakes_by_target(client)

    phase("the fifth queued")

    # The answers, as the invited accounts and the management account give them.
    handshake = {n: account_of(portal.status(requests[n]))["handshake_id"] for n in "ADCE"}
    emulator.control(f"/_emulator/handshakes/{handshake['A']}/accept", {})
    emulator.control(f"/_emulator/handshakes/{handshake['D']}/decline", {})
    client.cancel_handshake(HandshakeId=handshake["C"])
    portal.wait_states(requests["A"], lambda r, a: r == "completed", what="A joined")
    accepted = portal.status(requests["A"])
    assert accepted["status"] == "completed", accepted
    account = account_of(accepted)
    assert account["status"] == "ready" and account["handshake_state"] == "ACCEPTED"
    assert account["name"] == "legacy-A" and account["email"] == "legacy-A@example.com"
    assert ou_path_of(client, ids["A"]) == "HipaaOU"
    tags = {
        t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceId=ids["A"])["Tags"]
    }
    assert tags["vending:team"] == TEAM and tags["vending:compliance-class"] == "hipaa"
    failed_with(portal, requests["D"], "declined the invitation")
    failed_with(portal, requests["C"], "canceled from the management account")

    phase("accepted, declined, canceled")

    # 16 days later for AWS: E's invitation expired, and the day's limit is free again.
    # The portal counts by its own clock: its 4 invitations move a day back.
    emulator.advance_clock(days=16)
    failed_with(portal, requests["E"], "expired")
    portal.sql(
        "UPDATE vending_vendedaccount SET invite_requested_at = invite_requested_at "
        "- interval '1 day' WHERE invite_requested_at IS NOT NULL"
    )
    # So do the queued one's expected send time and next look (a day after the first).
    portal.sql(
        "UPDATE vending_vendedaccount SET invite_expected_at = invite_expected_at "
        "- interval '1 day', check_due_at = check_due_at - interval '1 day' "
        "WHERE invite_expected_at IS NOT NULL"
    )
    portal.wait_states(queued, account_is("invited"), what="the fifth sent the next day")
    sent = portal.status(queued)
    assert account_of(sent)["invite_expected_at"] is None
    emulator.control(f"/_emulator/handshakes/{account_of(sent)['handshake_id']}/accept", {})
    portal.wait_states(queued, lambda r, a: r == "completed", what="the fifth joined")
    joined = portal.status(queued)
    assert joined["status"] == "completed" and ou_path_of(client, ids["Q"]) == "GeneralOU"

    phase("expired; the fifth sent the next day and accepted")

    # Exactly once: one handshake per invited account, one InviteAccountToOrganization
    # call each, whatever was lost or killed on the way.
    by_target = handshakes_by_target(client)
    assert {t: len(hs) for t, hs in by_target.items()} == {ids[n]: 1 for n in "ADCEQ"}
    states = {n: by_target[ids[n]][0]["State"] for n in "ADCEQ"}
    assert states == {
        "A": "ACCEPTED", "D": "DECLINED", "C": "CANCELED", "E": "EXPIRED", "Q": "ACCEPTED"
    }  # fmt: skip
    stats = emulator.control("/_emulator/stats")
    assert stats["calls"]["InviteAccountToOrganization"] == 5, stats
    # One chain of looks per waiting invitation (one DescribeHandshake per sync period
    # at most), however many times the sync, the sweeper and the kill enqueued it.
    periods = (time.monotonic() - started) / SYNC_SECONDS
    phase(f"{stats['calls']['DescribeHandshake']} DescribeHandshake in {periods:.0f} periods")
    assert stats["calls"]["DescribeHandshake"] <= 5 * (periods + 5), (stats, periods)

    # The invited account A is decommissioned: SuspendedOU, then removed from the
    # organization (an invited account may leave).
    decommission = portal.request(
        "request_change", "--as", "lead", "--kind", "decommission", "--account-id", ids["A"],
        "--justification", "Legacy service retired",
    )  # fmt: skip
    approve(portal, decommission)
    portal.wait_states(decommission, lambda r, a: r in ("completed", "failed"))
    removed = portal.status(decommission)
    assert removed["status"] == "completed", removed
    assert removed["target_account"]["status"] == "removed"
    member_ids = {a["Id"] for page in client.get_paginator("list_accounts").paginate()
                  for a in page["Accounts"]}  # fmt: skip
    assert ids["A"] not in member_ids and ids["Q"] in member_ids
    phase("the invited account removed")
