"""End to end through real processes: PostgreSQL, Redis, a Celery worker, the emulator."""

from __future__ import annotations

import time

import pytest

from tests.system.harness import BROKERS, ou_path_of, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

ENVS = ["dev", "test", "qa", "prod"]


def accounts_by_email(client) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for page in client.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            found.setdefault(account["Email"].lower(), []).append(account)
    return found


def assert_vended_once(
    client, status: dict, *, ou_path: str, cls: str, team: str = "checkout"
) -> None:
    assert status["status"] == "completed", status
    in_org = accounts_by_email(client)
    assert sorted(a["environment"] for a in status["accounts"]) == sorted(ENVS)
    for account in status["accounts"]:
        assert account["status"] == "ready", account
        # Exactly one AWS account per environment: no duplicate from a retry or a crash.
        assert len(in_org[account["email"]]) == 1, in_org[account["email"]]
        assert in_org[account["email"]][0]["Id"] == account["account_id"]
        assert ou_path_of(client, account["account_id"]) == ou_path
        tags = {
            t["Key"]: t["Value"]
            for t in client.list_tags_for_resource(ResourceId=account["account_id"])["Tags"]
        }
        assert tags == {
            "vending:team": team,
            "vending:environment": account["environment"],
            "vending:compliance-class": cls,
            "vending:request-id": str(status["id"]),
            "vending:owner": "lead",
            "vending:cost-centre": team,
        }
    # No CreateAccount left in progress that could still produce a duplicate.
    listed = client.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]
    assert listed == []


def test_four_accounts_land_in_the_right_ou_with_tags(make_portal):
    portal, emulator = make_portal(create_delay=2)
    portal.start_worker()
    request_id = portal.submit(team="checkout", cls="hipaa_pci", envs=ENVS)
    assert "needs 1 more" in portal.manage("request_approve", str(request_id), "--as", "approver1")
    assert "provisioning started" in portal.manage(
        "request_approve", str(request_id), "--as", "approver2"
    )
    status = portal.wait_finished(request_id)
    assert_vended_once(emulator.client(), status, ou_path="HipaaOU/HipaaPciOU", cls="hipaa_pci")
    stats = emulator.control("/_emulator/stats")
    assert stats["calls"]["CreateAccount"] == 4
    assert stats["max_in_progress_creations"] <= 5


@pytest.mark.parametrize("broker_kind", BROKERS, indirect=True)
def test_worker_killed_mid_creation_loses_and_duplicates_nothing(make_portal):
    # Creations last an hour of the emulator's clock, so the kill lands while they are in
    # flight however busy the machine; the clock is moved on once the worker is back.
    portal, emulator = make_portal(create_delay=3600)
    portal.start_worker()
    request_id = portal.submit(team="checkout", cls="pci", envs=ENVS)
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    portal.manage("request_approve", str(request_id), "--as", "approver2")

    def creating() -> bool:
        accounts = portal.status(request_id)["accounts"]
        return sum(a["status"] == "creating" for a in accounts) >= 2

    wait_for(creating, timeout=60, what="accounts being created")
    time.sleep(0.5)  # let CreateAccount calls be in flight
    portal.kill_workers()  # SIGKILL: no cleanup, no acknowledgement
    assert portal.status(request_id)["status"] == "provisioning"
    portal.start_worker()
    emulator.control("/_emulator/clock", {"advance_seconds": 3601})
    status = portal.wait_finished(request_id)
    assert_vended_once(emulator.client(), status, ou_path="PciOU", cls="pci")


def test_throttling_and_5xx_at_a_high_rate_still_vend_each_account_once(make_portal):
    portal, emulator = make_portal(
        create_delay=1,
        seed=7,
        faults={"fault_rate": 0.5, "fault_kinds": ["throttle", "concurrent", "5xx"]},
    )
    portal.start_worker()
    request_id = portal.submit(team="checkout", cls="general", envs=ENVS)
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    status = portal.wait_finished(request_id, timeout=240)
    emulator.control("/_emulator/config", {"fault_rate": 0})
    assert_vended_once(emulator.client(), status, ou_path="GeneralOU", cls="general")
    faults = emulator.control("/_emulator/stats")["faults"]
    assert sum(faults.values()) > 10, faults


def test_lost_answers_to_create_and_move_still_vend_each_account_once(make_portal):
    # Half the CreateAccount and MoveAccount calls are carried out, then answered with a
    # 5xx: the portal must find what it made instead of making it twice.
    portal, emulator = make_portal(
        create_delay=2,
        seed=11,
        faults={
            "fault_rate": 0.5,
            "fault_kinds": ["lost_response"],
            "fault_operations": ["CreateAccount", "MoveAccount"],
        },
    )
    portal.start_worker()
    request_id = portal.submit(team="checkout", cls="general", envs=ENVS)
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    status = portal.wait_finished(request_id, timeout=240)
    stats = emulator.control("/_emulator/stats")
    emulator.control("/_emulator/config", {"fault_rate": 0})
    assert_vended_once(emulator.client(), status, ou_path="GeneralOU", cls="general")
    assert stats["faults"].get("CreateAccount", 0) >= 1, stats
    assert stats["faults"].get("MoveAccount", 0) >= 1, stats
    # Every CreateAccount call made an account, answered or not: one call per account.
    assert stats["calls"]["CreateAccount"] == len(ENVS), stats
