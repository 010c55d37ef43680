"""The emulator keeps its state across restarts when given a state file: organizations,
accounts, creations, handshakes, accounts outside the organization, closures, the clock,
budgets and alternate contacts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api._internal.models import moto_api_backend
from moto.organizations.models import organizations_backends

from tests.emulator.conftest import NO_RETRIES, client, control, wait_for_creation
from tests.emulator.test_cli import REPO_ROOT, _wait_for_config, free_port
from vending.emulator import EmulatorConfig, EmulatorServer

CONFIG = EmulatorConfig(create_delay_seconds=0, close_delay_seconds=30)


def forget_everything_in_this_process() -> None:
    """What a new process starts from: moto's process-global state empty."""
    moto_api_backend.reset()
    organizations_backends.master_accounts.clear()


@pytest.fixture
def state_file(tmp_path: Path, emulator: EmulatorServer) -> Iterator[Path]:
    # `emulator` (the suite's server) shares moto's state with the servers started here:
    # it is emptied before and after.
    yield tmp_path / "var" / "emulator-state.pickle"
    emulator.app.reset()


def build_an_organization(server: EmulatorServer) -> dict[str, Any]:
    org = client(server, config=NO_RETRIES)
    organization = org.create_organization(FeatureSet="ALL")["Organization"]
    root_id = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root_id, Name="Team")["OrganizationalUnit"]["Id"]
    created = org.create_account(AccountName="made", Email="made@example.com")
    account_id = wait_for_creation(org, created["CreateAccountStatus"]["Id"])["AccountId"]
    org.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou)
    closing = org.create_account(AccountName="closing", Email="closing@example.com")
    closing_id = wait_for_creation(org, closing["CreateAccountStatus"]["Id"])["AccountId"]
    org.close_account(AccountId=closing_id)
    outside = control(server, "POST", "/accounts", {"name": "Legacy", "email": "l@example.com"})[1]
    handshake = org.invite_account_to_organization(
        Target={"Id": outside["account_id"], "Type": "ACCOUNT"}
    )["Handshake"]
    control(server, "POST", "/clock", {"advance_days": 2})
    return {
        "organization": organization["Id"],
        "ou": ou,
        "account": account_id,
        "closing": closing_id,
        "creation": created["CreateAccountStatus"]["Id"],
        "handshake": handshake["Id"],
        "outside": outside,
    }


def test_a_restarted_emulator_shows_the_same_organization(state_file: Path) -> None:
    with EmulatorServer(config=CONFIG, state_file=state_file) as first:
        assert not first.app.restored  # nothing to restore: --seed-accounts would seed
        built = build_an_organization(first)
    assert state_file.exists()
    forget_everything_in_this_process()

    with EmulatorServer(config=CONFIG, state_file=state_file) as second:
        assert second.app.restored  # --seed-accounts does not seed a second time
        org = client(second, config=NO_RETRIES)
        assert org.describe_organization()["Organization"]["Id"] == built["organization"]
        parents = org.list_parents(ChildId=built["account"])["Parents"]
        assert parents == [{"Id": built["ou"], "Type": "ORGANIZATIONAL_UNIT"}]
        closing = org.describe_account(AccountId=built["closing"])["Account"]
        assert closing["Status"] == "SUSPENDED"  # closed while the clock moved 2 days
        status = org.describe_create_account_status(CreateAccountRequestId=built["creation"])
        assert status["CreateAccountStatus"]["AccountId"] == built["account"]
        handshake = org.describe_handshake(HandshakeId=built["handshake"])["Handshake"]
        assert handshake["State"] == "OPEN"
        assert control(second, "GET", "/accounts")[1]["accounts"] == [built["outside"]]
        assert control(second, "GET", "/clock")[1]["offset_seconds"] == 2 * 86400
        # E-mails stay taken, and the invited account can still accept.
        again = org.create_account(AccountName="made", Email="made@example.com")
        failed = wait_for_creation(org, again["CreateAccountStatus"]["Id"])
        assert failed["FailureReason"] == "EMAIL_ALREADY_EXISTS"
        accepted = control(second, "POST", f"/handshakes/{built['handshake']}/accept")
        assert accepted[0] == 200


NOTIFICATION = {
    "NotificationType": "ACTUAL",
    "ComparisonOperator": "GREATER_THAN",
    "Threshold": 80.0,
    "ThresholdType": "PERCENTAGE",
}


def test_budgets_and_contacts_survive_a_restart(state_file: Path) -> None:
    with EmulatorServer(config=CONFIG, state_file=state_file) as first:
        account_id = build_an_organization(first)["account"]
        budgets = client(first, "budgets", config=NO_RETRIES)
        budgets.create_budget(
            AccountId="123456789012",
            Budget={
                "BudgetName": f"vending-{account_id}",
                "BudgetLimit": {"Amount": "250", "Unit": "USD"},
                "CostFilters": {"LinkedAccount": [account_id]},
                "TimeUnit": "MONTHLY",
                "BudgetType": "COST",
            },
            NotificationsWithSubscribers=[
                {
                    "Notification": NOTIFICATION,
                    "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "o@example.com"}],
                }
            ],
        )
        client(first, "account", config=NO_RETRIES).put_alternate_contact(
            AccountId=account_id,
            AlternateContactType="BILLING",
            Name="Ana",
            Title="Billing",
            EmailAddress="billing@example.com",
            PhoneNumber="+1 555 0100",
        )
    forget_everything_in_this_process()

    with EmulatorServer(config=CONFIG, state_file=state_file) as second:
        budgets = client(second, "budgets", config=NO_RETRIES)
        budget = budgets.describe_budget(
            AccountId="123456789012", BudgetName=f"vending-{account_id}"
        )
        assert budget["Budget"]["BudgetLimit"] == {"Amount": "250", "Unit": "USD"}
        notifications = budgets.describe_notifications_for_budget(
            AccountId="123456789012", BudgetName=f"vending-{account_id}"
        )["Notifications"]
        assert [n["Threshold"] for n in notifications] == [80.0]
        contact = client(second, "account", config=NO_RETRIES).get_alternate_contact(
            AccountId=account_id, AlternateContactType="BILLING"
        )["AlternateContact"]
        assert contact["EmailAddress"] == "billing@example.com"


def test_a_snapshot_from_before_budgets_were_kept_loads(state_file: Path) -> None:
    """Snapshots written before budgets and contacts were kept hold two regional parts
    (Identity Center): they load, with the organization, and no budgets."""
    import pickle

    with EmulatorServer(config=CONFIG, state_file=state_file) as first:
        built = build_an_organization(first)
    payload = pickle.loads(state_file.read_bytes())  # written just above
    backends, masters, state, regional = payload["data"]
    payload["data"] = (backends, masters, state, regional[:2])
    state_file.write_bytes(pickle.dumps(payload))
    forget_everything_in_this_process()

    with EmulatorServer(config=CONFIG, state_file=state_file) as second:
        assert second.app.restored
        org = client(second, config=NO_RETRIES)
        assert org.describe_organization()["Organization"]["Id"] == built["organization"]
        assert (
            client(second, "budgets").describe_budgets(AccountId="123456789012").get("Budgets", [])
            == []
        )


def test_a_reset_empties_the_state_file_too(state_file: Path) -> None:
    with EmulatorServer(config=CONFIG, state_file=state_file) as server:
        build_an_organization(server)
        control(server, "POST", "/reset")
    forget_everything_in_this_process()

    with EmulatorServer(config=CONFIG, state_file=state_file) as server:
        assert control(server, "GET", "/accounts")[1] == {"accounts": []}
        org = client(server, config=NO_RETRIES)
        org.create_organization(FeatureSet="ALL")  # none survived the reset


def test_an_unreadable_state_file_is_set_aside(state_file: Path) -> None:
    state_file.parent.mkdir(parents=True)
    state_file.write_bytes(b"not a snapshot")

    with EmulatorServer(config=CONFIG, state_file=state_file) as server:
        assert control(server, "GET", "/accounts")[1] == {"accounts": []}

    aside = state_file.with_name(state_file.name + ".unreadable")
    assert aside.read_bytes() == b"not a snapshot"


def start(port: int, state_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vending.emulator",
            "--port",
            str(port),
            "--state-file",
            str(state_file),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "EMULATOR_CREATE_DELAY": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str], sig: int) -> str:
    if process.poll() is None:
        process.send_signal(sig)
    output, _ = process.communicate(timeout=15)
    return output


class Endpoint:
    def __init__(self, port: int) -> None:
        self.endpoint_url = f"http://127.0.0.1:{port}"


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_a_second_process_shows_the_account_the_first_created(tmp_path: Path, how: int) -> None:
    state_file, port = tmp_path / "emulator-state.pickle", free_port()
    endpoint: Any = Endpoint(port)
    process = start(port, state_file)
    try:
        _wait_for_config(f"{endpoint.endpoint_url}/_emulator/config", process)
        org = client(endpoint, config=NO_RETRIES)
        org.create_organization(FeatureSet="ALL")
        created = org.create_account(AccountName="kept", Email="kept@example.com")
        account_id = wait_for_creation(org, created["CreateAccountStatus"]["Id"])["AccountId"]
        # The last call before the stop: answered by moto, nothing else changes after it.
        root_id = org.list_roots()["Roots"][0]["Id"]
        org.create_organizational_unit(ParentId=root_id, Name="Kept")
    finally:
        stop(process, how)  # SIGKILL: no chance to save at exit; every change is saved already

    process = start(port, state_file)
    try:
        _wait_for_config(f"{endpoint.endpoint_url}/_emulator/config", process)
        org = client(endpoint, config=NO_RETRIES)
        account = org.describe_account(AccountId=account_id)
        assert account["Account"]["Email"] == "kept@example.com"
        ous = org.list_organizational_units_for_parent(ParentId=root_id)["OrganizationalUnits"]
        assert [ou["Name"] for ou in ous] == ["Kept"]
    finally:
        output = stop(process, signal.SIGTERM)
    assert f"state kept in {state_file}" in output
