"""Recovery without waiting for the sweeper's staleness: work the broker refused is sent
as soon as it answers again, and a dead worker's account is handed on once its lease
lapses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from vending.choices import RequestStatus
from vending.dispatch import dispatch_pending_send
from vending.dispatch_models import PendingDispatch
from vending.models import VendedAccount
from vending.services.sweeper import provisioning_sweep

from .test_provisioning import submit_and_approve

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(monkeypatch, task_queue):
    """The in-memory broker (task_queue), which refuses every message while `down`."""
    from celery.app.task import Task

    state = {"down": False}

    def apply_async(self, *args, **kwargs):
        if state["down"]:
            raise ConnectionRefusedError("broker down")
        return task_queue.record(self, *args, **kwargs)

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return state


def test_work_refused_by_the_broker_is_sent_once_it_answers(
    users, team, moto_gateway, task_queue, broker
):
    broker["down"] = True
    request = submit_and_approve(users, team, "general", ["dev"])
    assert request.status == RequestStatus.PROVISIONING  # committed, whatever the broker
    kept = list(PendingDispatch.objects.values_list("task", "object_id"))
    assert kept == [("provision_request", request.pk)]

    # Still down: nothing is lost, nothing is sent.
    assert dispatch_pending_send() == 0
    assert PendingDispatch.objects.count() == 1 and task_queue.messages == []

    broker["down"] = False
    # The first sweep beat gets through sends it (the sweep's staleness not waited for).
    assert task_queue.run_one("vending.sweep", ())["dispatched"] == 1
    assert not PendingDispatch.objects.exists()
    task_queue.drain()
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_a_refused_message_is_kept_once(users, team, moto_gateway, task_queue, broker):
    request = submit_and_approve(users, team, "general", ["dev"])
    task_queue.drain()  # provision_request ran: the account exists
    account = request.accounts.get()
    broker["down"] = True
    from vending.dispatch import _send

    _send("provision_account", account.pk)
    _send("provision_account", account.pk)
    assert PendingDispatch.objects.filter(object_id=account.pk).count() == 1


def _provisioning_account(users, team, task_queue):
    request = submit_and_approve(users, team, "general", ["dev"])
    task_queue.run_one("vending.provision_request", (request.pk,))
    task_queue.messages.clear()  # the account's message died with its worker
    return request.accounts.get()


def test_an_account_whose_lease_lapsed_is_handed_on_at_once(users, team, moto_gateway, task_queue):
    account = _provisioning_account(users, team, task_queue)
    now = timezone.now()
    # Touched just now (far from stale), its run's lease lapsed unreleased.
    VendedAccount.objects.filter(pk=account.pk).update(
        lease_until=now - timedelta(seconds=1), updated_at=now
    )
    assert provisioning_sweep().accounts_requeued == [account.pk]
    assert [m[:2] for m in task_queue.messages] == [("vending.provision_account", (account.pk,))]
    account.refresh_from_db()
    assert account.lease_until is None
    # Not again before it is stale: the message just sent may be waiting in the queue.
    assert provisioning_sweep().accounts_requeued == []


def test_a_live_lease_is_left_alone(users, team, moto_gateway, task_queue, settings):
    account = _provisioning_account(users, team, task_queue)
    old = timezone.now() - timedelta(seconds=settings.VENDING_SWEEP_STALE_SECONDS + 5)
    # A run holds it (however long since the account last changed).
    VendedAccount.objects.filter(pk=account.pk).update(
        lease_until=timezone.now() + timedelta(seconds=30), updated_at=old
    )
    assert provisioning_sweep().accounts_requeued == []


def test_time_limits_fit_the_lease_and_the_visibility_timeout(settings):
    from portal.celery_app import TASK_TIME_LIMIT, _broker_transport_options, app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    visibility = _broker_transport_options()["visibility_timeout"]
    provisioning = [app.tasks["vending.provision_account"], app.tasks["vending.provision_request"]]
    for task in provisioning:
        # A lease outlives any run holding it; a dead run's lease lapses within a minute.
        assert task.time_limit < settings.VENDING_CREATE_LEASE_SECONDS
    assert settings.VENDING_CREATE_LEASE_SECONDS + settings.VENDING_SWEEP_INTERVAL_SECONDS <= 60
    # Redis redelivers nothing a healthy task still runs.
    vending = [t for name, t in app.tasks.items() if name.startswith("vending.")]
    assert all((t.time_limit or TASK_TIME_LIMIT) < visibility for t in vending)
    assert app.conf.task_time_limit == TASK_TIME_LIMIT


def test_a_poll_the_broker_refused_is_kept(
    users, team, moto_gateway, task_queue, broker, monkeypatch
):
    # The broker went away while the run worked: its next read could not be queued.
    from vending import tasks

    account = _provisioning_account(users, team, task_queue)
    monkeypatch.setattr(tasks, "provisioning_advance", lambda account_id: 5.0)
    broker["down"] = True
    assert task_queue.run_one("vending.provision_account", (account.pk,)) == 5.0
    assert list(PendingDispatch.objects.values_list("task", "object_id")) == [
        ("provision_account", account.pk)
    ]
