"""Changes to created accounts through real processes: PostgreSQL, Redis, a Celery
worker with beat and the emulator. One portal drives a class change (the preview's
services lost, the account in the new OU), a decommission to the end (SuspendedOU,
PENDING_CLOSURE, SUSPENDED) with the worker SIGKILLed while AWS closes the account, a
lease that ends (decommissioned by the portal itself) beside one extended in time, and
the close quota reached (the next decommission waits in SuspendedOU with its expected
close date). AWS's side is read through the emulator's boto3 client.

The close quota is lowered to 2 on both sides (portal: VENDING_CLOSE_QUOTA_MIN/MAX,
emulator: close_quota_min/max); a close stays PENDING_CLOSURE for an hour of the
emulator's clock, moved on by the test once the portal has seen it closing.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.system.harness import ou_path_of, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services, pytest.mark.timeout(900)]

QUOTA = 2
CLOSE_DELAY = 3600
SYNC_SECONDS = 2


def account_ids(status: dict) -> dict[str, str]:
    return {a["environment"]: a["account_id"] for a in status["accounts"]}


def aws_status(client, account_id: str) -> str:
    return client.describe_account(AccountId=account_id)["Account"]["Status"]


def change(portal, kind: str, account_id: str, *args: str) -> int:
    """Submit a request about an account as lead and approve it; its id."""
    request_id = portal.request(
        "request_change", "--as", "lead", "--kind", kind, "--account-id", account_id, *args,
        "--justification", f"System test: {kind}",
    )  # fmt: skip
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    return request_id


def completed(request: str, account: dict) -> bool:
    return request in ("completed", "failed")


def closing(request: str, account: dict) -> bool:
    return account["status"] == "closing" or request == "failed"


def test_class_change_decommission_leases_and_the_close_quota(make_portal):
    portal, emulator = make_portal(create_delay=1)
    emulator.control(
        "/_emulator/config",
        {"close_delay_seconds": CLOSE_DELAY, "close_quota_min": QUOTA, "close_quota_max": QUOTA},
    )
    portal.env.update(
        VENDING_CLOSE_QUOTA_MIN=str(QUOTA),
        VENDING_CLOSE_QUOTA_MAX=str(QUOTA),
        VENDING_LIFECYCLE_SYNC_SECONDS=str(SYNC_SECONDS),
    )
    client = emulator.client()
    started = time.monotonic()

    def phase(name: str) -> None:  # shown when the test fails (and with -s)
        print(f"{time.monotonic() - started:6.1f}s {name}")

    today = datetime.now(UTC).date()  # the portal's TIME_ZONE is UTC
    portal.manage("team_create", "trial", "--name", "Trial", "--lead", "lead")
    team_request = portal.request(
        "request_create", "--as", "lead", "--team", "checkout", "--class", "general",
        "--env", "dev", "--env", "test", "--env", "qa", "--justification", "Checkout",
    )  # fmt: skip
    trial_request = portal.request(
        "request_create", "--as", "lead", "--team", "trial", "--class", "general",
        "--env", "dev", "--env", "test", "--justification", "A trial",
        "--expires-on", (today + timedelta(days=1)).isoformat(),
    )  # fmt: skip
    portal.start_worker()
    for pk in (team_request, trial_request):
        portal.manage("request_approve", str(pk), "--as", "approver1")
    for pk in (team_request, trial_request):
        portal.wait_states(pk, lambda r, a: r == "completed", what=f"#{pk} created")
    team = account_ids(portal.status(team_request))
    trial_status = portal.status(trial_request)
    trial = account_ids(trial_status)
    assert {a["expires_on"] for a in trial_status["accounts"]} == {
        (today + timedelta(days=1)).isoformat()
    }
    phase("five accounts created")

    # A class change: the preview lists what the account loses, then it moves.
    preview = portal.manage(
        "request_change", "--as", "lead", "--kind", "change_class", "--account-id", team["dev"],
        "--class", "hipaa", "--preview",
    )  # fmt: skip
    assert "GeneralOU -> HipaaOU" in preview and "\n  Loses " in preview, preview
    changed = change(portal, "change_class", team["dev"], "--class", "hipaa")
    portal.wait_states(changed, completed)
    status = portal.status(changed)
    assert status["status"] == "completed", status
    assert status["target_account"]["ou_path"] == "HipaaOU"
    assert ou_path_of(client, team["dev"]) == "HipaaOU"
    phase("class changed")

    # A decommission; the worker is SIGKILLed while AWS closes the account.
    closed = change(portal, "decommission", team["test"])
    portal.wait_states(closed, closing, what="the account closing")
    portal.kill_workers()
    assert ou_path_of(client, team["test"]) == "SuspendedOU"
    assert aws_status(client, team["test"]) == "PENDING_CLOSURE"
    portal.start_worker()
    emulator.advance_clock(seconds=CLOSE_DELAY + 1)
    portal.wait_states(closed, completed, what="the account closed")
    status = portal.status(closed)
    assert status["status"] == "completed", status
    assert status["target_account"]["status"] == "closed"
    assert aws_status(client, team["test"]) == "SUSPENDED"
    assert emulator.control("/_emulator/stats")["calls"]["CloseAccount"] == 1
    phase("decommissioned through a worker kill")

    # Leases: trial's test account is extended in time; a day later its dev account's
    # lease ends and the portal decommissions it itself.
    extended_to = (today + timedelta(days=30)).isoformat()
    extended = change(portal, "extend", trial["test"], "--expires-on", extended_to)
    portal.wait_states(extended, completed)
    assert portal.status(extended)["target_account"]["expires_on"] == extended_to
    portal.sql(  # a day passes for the portal
        "UPDATE vending_vendedaccount SET expires_on = expires_on - 1 WHERE expires_on IS NOT NULL"
    )

    def lease_decommission() -> int | None:
        rows = portal.sql(
            "SELECT r.id FROM vending_accountrequest r JOIN vending_vendedaccount a "
            "ON a.id = r.target_account_id WHERE r.kind = 'decommission' AND a.account_id = %s",
            (trial["dev"],),
        )
        return rows[0][0] if rows else None

    expired = wait_for(lease_decommission, timeout=60, what="the lease's decommission")
    portal.wait_states(expired, closing, what="the expired account closing")
    emulator.advance_clock(seconds=CLOSE_DELAY + 1)
    portal.wait_states(expired, completed, what="the expired account closed")
    status = portal.status(expired)
    assert status["status"] == "completed" and status["target_account"]["status"] == "closed"
    assert "lease ended" in status["justification"]
    ((actor, count),) = portal.sql(
        "SELECT max(actor_id), count(*) FROM vending_auditevent "
        "WHERE request_id = %s AND action = 'request.submitted'",
        (expired,),
    )
    assert (actor, count) == (None, 1)  # filed by the portal, nobody's request
    assert aws_status(client, trial["dev"]) == "SUSPENDED"
    kept = portal.status(trial_request)["accounts"]
    assert {a["environment"]: a["status"] for a in kept} == {"dev": "closed", "test": "ready"}
    assert aws_status(client, trial["test"]) == "ACTIVE"
    assert ou_path_of(client, trial["test"]) == "GeneralOU"
    phase("a lease ended, another extended")

    # The quota (2 closes in 30 days) is spent: the next waits in SuspendedOU with the day
    # it is expected to close (30 days after the first close).
    waiting = change(portal, "decommission", team["qa"])
    _, account = portal.wait_states(waiting, lambda r, a: a["close_expected_on"] is not None)
    ((first_close,),) = portal.sql(
        "SELECT min(close_requested_at) FROM vending_vendedaccount "
        "WHERE close_requested_at IS NOT NULL"
    )
    assert account["status"] == "suspended"
    assert account["close_expected_on"] == (first_close + timedelta(days=30)).date()
    status = portal.status(waiting)
    assert status["status"] == "provisioning", status
    assert (
        date.fromisoformat(status["target_account"]["close_expected_on"])
        == (account["close_expected_on"])
    )
    assert ou_path_of(client, team["qa"]) == "SuspendedOU"
    assert aws_status(client, team["qa"]) == "ACTIVE"
    assert emulator.control("/_emulator/stats")["calls"]["CloseAccount"] == QUOTA
    phase("the close quota reached")
