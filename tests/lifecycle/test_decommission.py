"""decommission end to end against the emulator (CloseAccount is asynchronous there,
as in AWS; RemoveAccountFromOrganization refuses what AWS refuses): SuspendedOU at once,
then closing -> closed, or removed; the management account refused; the close quota;
tasks delivered twice and a crash right after CloseAccount."""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from vending.choices import AccountOrigin, AccountStatus, RequestKind, RequestStatus
from vending.models import AccountRequest, VendedAccount
from vending.services import account_lifecycle
from vending.services.lifecycle_requests import account_change_request_create
from vending.services.org_units import org_units_kept

from .conftest import approve_all, next_look_due
from .test_change_class import ready_account_emulated

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]


def control(emulator, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(f"{emulator.endpoint_url}/_emulator{path}", data=data)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def decommission(users, account) -> AccountRequest:
    request = account_change_request_create(
        requester=users["lead"],
        kind=RequestKind.DECOMMISSION,
        account_id=account.account_id,
        justification="Project over",
    )
    approve_all(request, users)
    return request


def parent(gateway, account_id: str) -> str:
    found = gateway.list_parents(child_id=account_id)[0].id
    return {v: k for k, v in org_units_kept(paths=["SuspendedOU", "GeneralOU"]).items()}.get(
        found, found
    )


def run_until_settled(request, task_queue, *, duplicate=False, rounds=100) -> None:
    for _ in range(rounds):
        task_queue.messages.clear()
        next_look_due(request)
        account_lifecycle.lifecycle_sync()
        task_queue.drain(duplicate=duplicate)
        request.refresh_from_db()
        if request.status != RequestStatus.PROVISIONING:
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_a_created_account_is_suspended_then_closed_with_double_delivery(
    users, team, emulator_org, task_queue
):
    emulator_org.emulator.app.update_config({"close_delay_seconds": 0.3})
    account = ready_account_emulated(users, team, task_queue)
    request = decommission(users, account)
    task_queue.messages.clear()
    for _ in range(2):  # the task delivered twice
        task_queue.run_one("vending.lifecycle_request", (request.pk,))
    account.refresh_from_db()
    # Denied everything at once; CloseAccount asked, AWS closes it later.
    assert parent(emulator_org, account.account_id) == "SuspendedOU"
    assert account.status == AccountStatus.CLOSING
    assert emulator_org.describe_account(account_id=account.account_id).state == "PENDING_CLOSURE"
    run_until_settled(request, task_queue, duplicate=True)
    account.refresh_from_db()
    assert (request.status, account.status) == (RequestStatus.COMPLETED, AccountStatus.CLOSED)
    assert emulator_org.stats()["calls"]["CloseAccount"] == 1


@pytest.mark.slow
def test_a_crash_right_after_close_account_does_not_close_twice(
    users, team, emulator_org, task_queue, monkeypatch
):
    emulator_org.emulator.app.update_config({"close_delay_seconds": 0.2})
    account = ready_account_emulated(users, team, task_queue)
    request = decommission(users, account)
    real_close = type(emulator_org).close_account

    def close_then_die(self, **kwargs):
        real_close(self, **kwargs)
        raise KeyboardInterrupt("worker killed after CloseAccount")

    monkeypatch.setattr(type(emulator_org), "close_account", close_then_die)
    with pytest.raises(KeyboardInterrupt):
        task_queue.drain()
    monkeypatch.setattr(type(emulator_org), "close_account", real_close)
    account.refresh_from_db()
    assert account.status == AccountStatus.SUSPENDED and account.close_requested_at
    VendedAccount.objects.filter(pk=account.pk).update(lease_until=None)  # the dead lease
    run_until_settled(request, task_queue)
    account.refresh_from_db()
    assert (request.status, account.status) == (RequestStatus.COMPLETED, AccountStatus.CLOSED)
    assert emulator_org.stats()["calls"]["CloseAccount"] == 1


@pytest.mark.slow
@pytest.mark.serial
def test_past_the_close_quota_the_account_waits_in_suspended_ou_with_its_date(
    users, team, emulator_org, task_queue, settings
):
    # The emulator would allow it: the portal enforces the quota itself.
    emulator_org.emulator.app.update_config({"close_quota_min": 100, "close_quota_max": 100})
    settings.VENDING_CLOSE_QUOTA_MIN = 1
    first = ready_account_emulated(users, team, task_queue)
    second_request = account_request_for(users, team, task_queue, env="test")
    second = second_request.accounts.get()
    first_request = decommission(users, first)
    task_queue.messages.clear()
    task_queue.run_one("vending.lifecycle_request", (first_request.pk,))
    first.refresh_from_db()
    assert first.status == AccountStatus.CLOSING
    request = decommission(users, second)
    task_queue.messages.clear()
    account_lifecycle.lifecycle_request_advance(request_id=request.pk)
    second.refresh_from_db()
    request.refresh_from_db()
    assert second.status == AccountStatus.SUSPENDED
    assert parent(emulator_org, second.account_id) == "SuspendedOU"
    expected = timezone.localdate(first.close_requested_at + timedelta(days=30))
    assert second.close_expected_on == expected
    assert request.status == RequestStatus.PROVISIONING
    assert emulator_org.stats()["calls"]["CloseAccount"] == 1


def account_request_for(users, team, task_queue, *, env):
    from vending.services.requests import account_request_approve, account_request_create

    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=[env],
        justification="Launch",
    )
    account_request_approve(request=request, approver=users["approver1"])
    task_queue.drain(pause=0.05)
    return request


def invited_account(team, emulator_org, name="legacy") -> VendedAccount:
    emulator = emulator_org.emulator
    account_id = control(emulator, "/accounts", {"name": name, "email": f"{name}@example.com"})[
        "account_id"
    ]
    handshake = emulator_org.invite_account(account_id=account_id)
    control(emulator, f"/handshakes/{handshake.id}/accept")
    return VendedAccount.objects.create(
        origin=AccountOrigin.INVITED,
        team=team,
        compliance_class="general",
        environment="dev",
        name=name,
        email=f"{name}@example.com",
        account_id=account_id,
        target_ou_path="",
        status=AccountStatus.READY,
    )


def test_an_invited_account_is_removed_and_a_refusal_is_shown_in_words(
    users, team, emulator_org, task_queue
):
    blocked = invited_account(team, emulator_org, "blocked")
    control(
        emulator_org.emulator,
        f"/accounts/{blocked.account_id}/leave-blocker",
        {"reason": "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION"},
    )
    request = decommission(users, blocked)
    task_queue.drain()
    request.refresh_from_db()
    blocked.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert "phone" in request.decision_reason.lower()
    assert "ConstraintViolation" not in request.decision_reason.split(":", 1)[1]
    assert blocked.status == AccountStatus.SUSPENDED  # denied everything meanwhile

    leaving = invited_account(team, emulator_org, "leaving")
    request = decommission(users, leaving)
    task_queue.drain(duplicate=True)
    request.refresh_from_db()
    leaving.refresh_from_db()
    assert (request.status, leaving.status) == (RequestStatus.COMPLETED, AccountStatus.REMOVED)
    assert leaving.account_id not in {a.id for a in emulator_org.list_accounts()}


def test_the_management_account_is_never_closed_nor_moved(users, team, emulator_org, task_queue):
    management = emulator_org.describe_organization().management_account_id
    account = VendedAccount.objects.create(
        origin=AccountOrigin.IMPORTED,
        team=team,
        name="management",
        email="m@example.com",
        account_id=management,
        target_ou_path="",
        status=AccountStatus.READY,
    )
    before = parent(emulator_org, management)
    request = decommission(users, account)
    task_queue.drain()
    request.refresh_from_db()
    account.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert "management account" in request.decision_reason
    assert account.status == AccountStatus.READY
    assert parent(emulator_org, management) == before
    assert "CloseAccount" not in emulator_org.stats()["calls"]
