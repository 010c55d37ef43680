"""What vending costs in Organizations calls and in waiting, against the in-process
emulator (asynchronous CreateAccount, AWS's limit of 5 in progress, AWS's MoveAccount
errors): three calls per account, a status read when the creation is likely done, slots
that refill at once, OU ids kept, lost answers recovered without a second account."""

from __future__ import annotations

import time

import boto3
import pytest
from django.utils import timezone

from tests.unit.test_provisioning_emulator import approved_request, control
from vending.aws import TransientAwsError
from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.models import (
    AuditEvent,
    CreationSlot,
    OrganizationalUnitRecord,
    Team,
    VendedAccount,
)
from vending.services.provisioning import provisioning_advance

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]

DELAY = 0.3  # the emulator's creation delay (tests/conftest.py EMULATOR_CONFIG)


def run_next(task_queue, name: str = "vending.provision_account") -> object:
    """Deliver the first queued message of task `name` (e-mails stay queued)."""
    index = next(i for i, message in enumerate(task_queue.messages) if message[0] == name)
    task, args, _ = task_queue.messages.pop(index)
    return task_queue.run_one(task, args)


def provisioning_messages(task_queue) -> list[tuple]:
    return [
        m for m in task_queue.messages if m[0] not in ("vending.send_email", "vending.outbox_send")
    ]


def calls(emulator) -> dict[str, int]:
    return control(emulator, "/stats")["calls"]


def second_team(users) -> Team:
    other = Team.objects.create(slug="ledger", name="Ledger")
    other.leads.add(users["lead"])
    return other


def org_client(emulator):
    return boto3.client(
        "organizations", endpoint_url=emulator.endpoint_url, region_name="us-east-1"
    )


@pytest.mark.slow
@pytest.mark.serial
def test_three_calls_per_account_once_the_portal_knows_how_long_creation_takes(
    users, team, emulator, task_queue, settings
):
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = 1.0  # a first guess, too long on purpose
    first = approved_request(users, team, ["dev", "test", "qa", "prod"])
    task_queue.drain(pause=2)
    assert [a.create_seconds for a in first.accounts.all()] == [pytest.approx(DELAY, abs=1e-3)] * 4

    control(emulator, "/stats/reset", {})
    second = approved_request(users, second_team(users), ["dev", "test", "qa", "prod"])
    task_queue.drain(pause=2)
    second.refresh_from_db()
    assert second.status == RequestStatus.COMPLETED
    # CreateAccount, one status read when the creation is likely done, MoveAccount.
    assert calls(emulator) == {
        "CreateAccount": 4,
        "DescribeCreateAccountStatus": 4,
        "MoveAccount": 4,
    }


@pytest.mark.slow
@pytest.mark.serial
def test_creations_read_before_they_are_done_share_one_listing(
    users, team, emulator, task_queue, settings
):
    # No history yet, and a first guess shorter than the creation: the first reads come
    # too early. One ListCreateAccountStatus call answers for all four creations.
    control(emulator, "/config", {"create_delay_seconds": 3.0})
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = 0.2
    request = approved_request(users, team, ["dev", "test", "qa", "prod"])
    run_next(task_queue, "vending.provision_request")
    for _ in range(4):
        run_next(task_queue)  # each account: CreateAccount
    control(emulator, "/stats/reset", {})
    time.sleep(0.3)
    for _ in range(4):  # each account's first read, all too early
        run_next(task_queue)
    assert calls(emulator) == {"ListCreateAccountStatus": 1}
    assert {a.poll_count for a in request.accounts.all()} == {1}

    task_queue.drain(pause=0.5)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    # A finished creation's account id is only in its own description.
    assert calls(emulator)["DescribeCreateAccountStatus"] >= 4


@pytest.mark.slow
@pytest.mark.serial
def test_a_released_slot_passes_to_the_account_waiting_longest_at_once(
    users, team, emulator, task_queue, settings
):
    settings.VENDING_MAX_CONCURRENT_CREATES = 1
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = DELAY
    request = approved_request(users, team, ["dev", "test", "qa"])
    dev, test, qa = request.accounts.order_by("id")
    run_next(task_queue, "vending.provision_request")
    for _ in range(3):
        run_next(task_queue)
    # dev holds the only slot; test and qa wait without polling: no message of theirs.
    assert [m[1] for m in provisioning_messages(task_queue)] == [(dev.pk,)]
    waiting = VendedAccount.objects.filter(pk__in=[test.pk, qa.pk], slot__isnull=True)
    assert set(waiting.values_list("status", flat=True)) == {AccountStatus.CREATING}
    time.sleep(DELAY + 0.1)
    run_next(task_queue)  # dev's status read: done
    dev.refresh_from_db()
    assert dev.status == AccountStatus.READY
    # The slot passed to the account waiting longest, enqueued to run now (no countdown);
    # qa waits on, and nobody else can take test's slot meanwhile.
    assert CreationSlot.objects.get().holder_id == test.pk
    assert provisioning_messages(task_queue) == [("vending.provision_account", (test.pk,), None)]
    task_queue.drain(pause=1)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


@pytest.mark.slow
@pytest.mark.serial
def test_a_lost_create_answer_adopts_the_creation_in_progress(users, team, emulator, task_queue):
    request = approved_request(users, team, ["dev"])
    account = request.accounts.get()
    control(
        emulator,
        "/config",
        {
            "fault_rate": 1.0,
            "fault_kinds": ["lost_response"],
            "fault_operations": ["CreateAccount"],
        },
    )
    run_next(task_queue, "vending.provision_request")
    with pytest.raises(TransientAwsError):
        run_next(task_queue)
    control(emulator, "/config", {"fault_rate": 0})
    task_queue.messages.append(("vending.provision_account", (account.pk,), None))  # retry
    task_queue.drain(pause=1)
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    stats = calls(emulator)
    assert stats["CreateAccount"] == 1  # never a second creation
    assert stats["ListCreateAccountStatus"] == 1  # found in progress under its name
    assert "ListAccounts" not in stats  # found before the organization is paged through
    [created] = AuditEvent.objects.filter(
        account=account, action=AuditAction.ACCOUNT_CREATE_REQUESTED
    )
    assert created.data["recovered"] is True
    client = org_client(emulator)
    assert client.list_tags_for_resource(ResourceId=account.account_id)["Tags"]


@pytest.mark.slow
def test_an_account_moved_before_placing_is_done_without_a_second_move(
    users, team, emulator, task_queue, settings
):
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = DELAY
    request = approved_request(users, team, ["dev"])
    account = request.accounts.get()
    run_next(task_queue, "vending.provision_request")
    run_next(task_queue)  # CreateAccount
    account.refresh_from_db()
    client = org_client(emulator)
    time.sleep(DELAY + 0.1)
    created = client.describe_create_account_status(
        CreateAccountRequestId=account.create_request_id
    )["CreateAccountStatus"]
    target = OrganizationalUnitRecord.objects.get(path="GeneralOU").ou_id
    root = OrganizationalUnitRecord.objects.get(path="").ou_id
    client.move_account(
        AccountId=created["AccountId"], SourceParentId=root, DestinationParentId=target
    )
    control(emulator, "/stats/reset", {})
    task_queue.drain(pause=1)
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    # MoveAccount from the root is refused (the account is not there): ListParents says
    # it is in its OU already, which counts as done.
    assert calls(emulator) == {
        "DescribeCreateAccountStatus": 1,
        "MoveAccount": 1,
        "ListParents": 1,
    }
    assert not AuditEvent.objects.filter(account=account, action=AuditAction.ACCOUNT_MOVED)


@pytest.mark.slow
def test_a_recreated_ou_is_resolved_again_and_its_new_id_kept(
    users, team, emulator, task_queue, settings
):
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = DELAY
    client = org_client(emulator)
    old_id = OrganizationalUnitRecord.objects.get(path="GeneralOU").ou_id
    # Someone deletes GeneralOU and creates it again: the kept id is stale.
    client.delete_organizational_unit(OrganizationalUnitId=old_id)
    root = client.list_roots()["Roots"][0]["Id"]
    new_id = client.create_organizational_unit(ParentId=root, Name="GeneralOU")[
        "OrganizationalUnit"
    ]["Id"]
    control(emulator, "/stats/reset", {})
    request = approved_request(users, team, ["dev"])
    task_queue.drain(pause=1)
    account = request.accounts.get()
    assert account.status == AccountStatus.READY
    assert account.ou_id == new_id
    assert OrganizationalUnitRecord.objects.get(path="GeneralOU").ou_id == new_id
    stats = calls(emulator)
    assert stats["MoveAccount"] == 2  # refused: no such destination; then moved
    assert stats["ListRoots"] == 1 and stats["ListOrganizationalUnitsForParent"] == 1
    parent = client.list_parents(ChildId=account.account_id)["Parents"][0]["Id"]
    assert parent == new_id


def test_blueprint_apply_and_drift_scan_keep_every_ou_id(emulator_org, settings):
    from vending.services.drift import org_drift_scan

    client = org_client(emulator_org.emulator)
    root = client.list_roots()["Roots"][0]["Id"]
    kept = dict(OrganizationalUnitRecord.objects.values_list("path", "ou_id"))
    assert kept[""] == root
    assert {"GeneralOU", "HipaaOU", "PciOU", "HipaaOU/HipaaPciOU"} <= set(kept)
    for path, ou_id in kept.items():
        if path:
            name = client.describe_organizational_unit(OrganizationalUnitId=ou_id)[
                "OrganizationalUnit"
            ]["Name"]
            assert name == path.rsplit("/", 1)[-1]
    OrganizationalUnitRecord.objects.filter(path="PciOU").update(ou_id="ou-stale-00000000")
    org_drift_scan(gateway=emulator_org)
    assert OrganizationalUnitRecord.objects.get(path="PciOU").ou_id == kept["PciOU"]


def test_the_first_read_waits_for_the_typical_creation(users, team, task_queue, settings):
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = 7.0
    request = approved_request(users, team, ["dev", "test"])
    dev, test = request.accounts.order_by("id")
    # Before any history: the configured guess.
    assert provisioning_advance(account_id=dev.pk) == pytest.approx(7.0 * 1.01 + 0.05)
    # With history: the median of the last creations AWS reported.
    VendedAccount.objects.filter(pk=dev.pk).update(create_seconds=0.5)
    other = approved_request(users, second_team(users), ["dev", "test"])
    # (Creations the portal asked for: a request time, as every created account has.)
    VendedAccount.objects.filter(request=other).update(
        create_seconds=0.1, create_requested_at=timezone.now()
    )
    assert provisioning_advance(account_id=test.pk) == pytest.approx(0.1 * 1.01 + 0.05)


def test_without_history_the_first_read_comes_right_after_create_account(
    users, team, emulator, task_queue, settings
):
    # The default: no first guess. Each creation is described in the task that created
    # it, so creations that take no time cost no wait and three calls, history or not.
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = 0.0
    control(emulator, "/config", {"create_delay_seconds": 0.0})
    request = approved_request(users, team, ["dev", "prod"])
    run_next(task_queue, "vending.provision_request")
    control(emulator, "/stats/reset", {})
    assert run_next(task_queue) is None  # dev: created, described, moved: done
    assert run_next(task_queue) is None  # prod: likewise, in one task
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert calls(emulator) == {
        "CreateAccount": 2,
        "DescribeCreateAccountStatus": 2,
        "MoveAccount": 2,
    }
    assert not provisioning_messages(task_queue)


@pytest.mark.slow
@pytest.mark.serial
def test_without_history_a_slow_creation_costs_one_extra_read(
    users, team, emulator, task_queue, settings
):
    settings.VENDING_CREATE_FIRST_CHECK_SECONDS = 0.0
    request = approved_request(users, team, ["dev"])
    account = request.accounts.get()
    run_next(task_queue, "vending.provision_request")
    control(emulator, "/stats/reset", {})
    # CreateAccount, then its description at once: still in progress (DELAY), so the
    # next read comes a second later (a tenth of its age, at least a second).
    assert run_next(task_queue) == pytest.approx(1.0)
    assert calls(emulator) == {"CreateAccount": 1, "DescribeCreateAccountStatus": 1}
    account.refresh_from_db()
    assert account.poll_count == 1 and account.status == AccountStatus.CREATING
    task_queue.drain(pause=1.5)
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert calls(emulator)["DescribeCreateAccountStatus"] == 2
