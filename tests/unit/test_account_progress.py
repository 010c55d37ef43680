"""A stuck account shows its failed tries, its last error and then that it is stalled;
an admin can retry it now (web, API, command), audited; nobody else can."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from vending.aws import TransientAwsError
from vending.choices import AccountStatus, AuditAction
from vending.models import AccountRequest, AuditEvent, VendedAccount
from vending.services.provisioning import provisioning_advance
from vending.services.requests import account_request_approve, account_request_create

pytestmark = pytest.mark.django_db(transaction=True)

TRIES = 3


def provisioning(users, team, envs=("dev",)):
    request = account_request_create(
        requester=users["lead"], team=team, compliance_class="general",
        environments=list(envs), justification="Launch",
    )  # fmt: skip
    account_request_approve(request=request, approver=users["approver1"])
    return request


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def no_progress_for(request, minutes):
    """As if the account had made no progress for `minutes` (its request neither)."""
    then = timezone.now() - timedelta(minutes=minutes)
    VendedAccount.objects.filter(request=request).update(last_progress_at=then)
    AccountRequest.objects.filter(pk=request.pk).update(updated_at=then)


@pytest.fixture
def failing_creates(emulator_org, emulator):
    """The emulator answers every CreateAccount with a 5xx (and does nothing)."""
    emulator.app.update_config(
        {"fault_rate": 1.0, "fault_kinds": ["5xx"], "fault_operations": ["CreateAccount"]}
    )
    return emulator


@pytest.fixture
def stuck(users, team, failing_creates, task_queue):
    """A provisioning request whose account failed TRIES CreateAccount calls."""
    request = provisioning(users, team)
    account = request.accounts.get()
    for tried in range(1, TRIES + 1):
        with pytest.raises(TransientAwsError):
            provisioning_advance(account_id=account.pk)
        account.refresh_from_db()
        assert account.attempts == tried  # rising with each failed try
    task_queue.messages.clear()
    return request


def test_each_failed_try_is_counted_with_its_error_then_the_account_stalls(
    users, stuck, failing_creates
):
    assert failing_creates.app.stats()["faults"]["CreateAccount"] == TRIES
    [account] = api(users["lead"]).get(f"/api/v1/requests/{stuck.pk}/").json()["accounts"]
    assert account["status"] == "creating"
    assert account["attempts"] == TRIES
    error = account["last_error"]
    assert error["code"] == "ServiceException" and error["transient"] is True
    assert error["message"].startswith("AWS failed to answer CreateAccount (ServiceException")
    assert "tries again" in error["message"]
    assert account["last_progress_at"] is not None  # pending -> creating
    assert account["stalled"] is False and account["stalled_reason"] is None

    no_progress_for(stuck, minutes=10)
    [account] = api(users["lead"]).get(f"/api/v1/requests/{stuck.pk}/").json()["accounts"]
    assert account["stalled"] is True
    assert account["stalled_reason"].startswith("No progress for 10\xa0minutes; 3 tries failed")
    assert error["message"] in account["stalled_reason"]
    # The accounts list says the same (it is built from rows, not from the model).
    [listed] = api(users["admin"]).get("/api/v1/accounts/").json()["results"]
    assert {k: listed[k] for k in account if k in listed} == {
        k: account[k] for k in account if k in listed
    }


def test_an_error_is_recorded_by_the_update_that_releases_the_lease(users, team, failing_creates):
    account = provisioning(users, team).accounts.get()
    with CaptureQueriesContext(connection) as queries, pytest.raises(TransientAwsError):
        provisioning_advance(account_id=account.pk)
    writes = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "last_error_code" in q["sql"]
    ]
    assert len(writes) == 1 and "lease_until" in writes[0]


def test_a_permanent_failure_is_the_last_error_and_needs_a_person(users, team, moto_gateway):
    request = provisioning(users, team)
    request.accounts.update(email="bad")
    account = request.accounts.get()
    provisioning_advance(account_id=account.pk, gateway=moto_gateway)
    account.refresh_from_db()
    assert account.status == AccountStatus.FAILED
    assert (account.attempts, account.last_error_code) == (1, "INVALID_IDENTITY")
    assert account.last_error_transient is False
    assert account.last_error_message == account.failure_reason


def test_an_unfinished_account_without_errors_stalls_for_want_of_a_worker(users, team):
    request = provisioning(users, team)
    no_progress_for(request, minutes=7)
    [account] = api(users["admin"]).get(f"/api/v1/requests/{request.pk}/").json()["accounts"]
    assert account["status"] == "pending" and account["attempts"] == 0
    assert "no worker seems to be working on it" in account["stalled_reason"]


def test_an_account_waiting_for_a_creation_slot_is_queued_not_stalled(users, team):
    request = provisioning(users, team)
    request.accounts.update(status=AccountStatus.CREATING)
    no_progress_for(request, minutes=30)
    [account] = api(users["admin"]).get(f"/api/v1/requests/{request.pk}/").json()["accounts"]
    assert account["stalled"] is False


def test_the_request_page_shows_the_stall_and_only_admins_get_retry_now(users, stuck, client):
    no_progress_for(stuck, minutes=10)
    url = reverse("request_detail", args=[stuck.pk])
    client.force_login(users["lead"])
    page = client.get(url).content.decode()
    assert "Stalled" in page and "3 tries failed" in page and "ServiceException" in page
    assert "Retry now" not in page
    client.force_login(users["admin"])
    page = client.get(url).content.decode()
    assert "Retry now" in page and "data-confirm" in page


def test_an_admin_retries_a_stalled_account_now_through_the_api(users, stuck, task_queue):
    no_progress_for(stuck, minutes=10)
    account = stuck.accounts.get()
    url = f"/api/v1/requests/{stuck.pk}/accounts/dev/retry/"
    response = api(users["admin"]).post(url)
    assert response.status_code == 202, response.json()
    assert response["Location"] == f"/api/v1/requests/{stuck.pk}/"
    assert [m[:2] for m in task_queue.messages] == [("vending.provision_account", (account.pk,))]
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_RETRIED)
    assert event.actor == users["admin"] and event.account == account
    assert event.data["stalled_reason"].startswith("No progress for 10")
    assert event.data["last_error_code"] == "ServiceException"
    assert event.data["attempts"] == TRIES and event.data["from_status"] == "creating"
    # Queued as it is: the write-ahead marker stays, so the next try first looks for
    # what an earlier CreateAccount may have made.
    account.refresh_from_db()
    assert account.status == AccountStatus.CREATING and account.create_requested_at is not None


@pytest.mark.parametrize(("who", "status"), [("lead", 403), ("approver1", 403), ("lead2", 404)])
def test_only_admins_retry(users, other_team, stuck, task_queue, who, status):
    no_progress_for(stuck, minutes=10)
    response = api(users[who]).post(f"/api/v1/requests/{stuck.pk}/accounts/dev/retry/")
    assert response.status_code == status
    assert not task_queue.messages
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_RETRIED).exists()


def test_the_web_retry_is_admins_only(users, stuck, client, task_queue):
    no_progress_for(stuck, minutes=10)
    account = stuck.accounts.get()
    url = reverse("account_retry", args=[stuck.pk, account.pk])
    client.force_login(users["lead"])
    assert client.post(url).status_code == 403
    assert not task_queue.messages
    client.force_login(users["admin"])
    assert client.post(url).status_code == 302
    assert [m[0] for m in task_queue.messages] == ["vending.provision_account"]


def test_an_account_that_makes_progress_is_not_retried(users, stuck, task_queue):
    response = api(users["admin"]).post(f"/api/v1/requests/{stuck.pk}/accounts/dev/retry/")
    assert response.status_code == 409
    assert "not stalled" in response.json()["error"]["message"]
    assert not task_queue.messages


def test_the_command_retries_a_stalled_account(users, stuck, task_queue, capsys):
    no_progress_for(stuck, minutes=10)
    call_command("account_retry", str(stuck.pk), "dev", "--as", "admin")
    assert "queued again" in capsys.readouterr().out
    assert [m[0] for m in task_queue.messages] == ["vending.provision_account"]


def test_an_account_throttled_at_every_create_stalls_too(users, team, emulator_org, emulator):
    """A throttled CreateAccount proves nothing was created (the marker is cleared), so the
    account looks like one waiting for a slot: its error says otherwise."""
    emulator.app.update_config(
        {"fault_rate": 1.0, "fault_kinds": ["throttle"], "fault_operations": ["CreateAccount"]}
    )
    request = provisioning(users, team)
    with pytest.raises(TransientAwsError):
        provisioning_advance(account_id=request.accounts.get().pk)
    no_progress_for(request, minutes=10)
    [account] = api(users["admin"]).get(f"/api/v1/requests/{request.pk}/").json()["accounts"]
    assert account["last_error"]["message"].startswith("AWS throttled CreateAccount")
    assert account["stalled"] is True and "1 try failed" in account["stalled_reason"]


def test_the_account_page_shows_the_stall_too(users, team, moto_gateway, client):
    request = provisioning(users, team)
    request.accounts.update(
        status=AccountStatus.PLACING,
        account_id="123456789012",
        attempts=4,
        last_error_code="ConcurrentModificationException",
        last_error_message="AWS was changing the organization while MoveAccount ran.",
        last_error_transient=True,
        last_error_at=timezone.now(),
    )
    no_progress_for(request, minutes=10)
    url = reverse("account_detail", args=["123456789012"])
    client.force_login(users["admin"])
    page = client.get(url).content.decode()
    assert "Stalled" in page and "4 tries failed" in page and "Retry now" in page
    assert "while MoveAccount ran" in page
