"""Access against the emulator, whose Identity Center assignments are asynchronous as in
AWS: in progress first, assigned once AWS is done; removed when the account is
decommissioned (before it is closed) or its class maps other permission sets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.access.conftest import IdentityCenter
from tests.access.test_access_services import statuses, vend, vend_before_access
from tests.lifecycle.conftest import approve_all
from tests.lifecycle.test_change_class import change
from tests.lifecycle.test_decommission import decommission, run_until_settled
from vending.access_models import AccessAssignment, AccountAccess
from vending.choices import AccessStatus, AccountStatus, RequestStatus
from vending.services.account_access import access_sweep, account_access_sync

# Each waits out the emulator's assignment delays: `make test` runs them, not `make check`.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.serial]


@pytest.fixture(autouse=True)
def _fast_polls(settings) -> None:  # type: ignore[no-untyped-def]
    settings.VENDING_ACCESS_POLL_SECONDS = 0.1


def vend_then_ask(users, team, task_queue, settings):  # type: ignore[no-untyped-def]
    """A ready account whose access sync ran once: its assignment asked, in progress."""
    account = vend_before_access(users, team, task_queue, settings, pause=0.05)
    task_queue.run_one("vending.access_sync", (account.pk,))
    return account


def test_the_assignment_is_in_progress_then_assigned(
    users, team, task_queue, emulated_identity_center: IdentityCenter, settings
):
    ic = emulated_identity_center
    account = vend_then_ask(users, team, task_queue, settings)
    # The creation is asynchronous: asked, not yet listed.
    assert statuses(account) == {"PowerUserAccess": "in_progress"}
    row = AccessAssignment.objects.get(account=account)
    assert row.request_id and row.requested_at is not None
    assert ic.assignments(account.account_id, "PowerUserAccess") == []
    # The task polls by re-queueing itself with a countdown, never by sleeping.
    ((name, args, countdown),) = task_queue.messages
    assert (name, args) == ("vending.access_sync", (account.pk,))
    assert countdown is not None and 0.1 <= countdown <= 60  # backing off with the age
    task_queue.drain(pause=0.05)
    assert statuses(account) == {"PowerUserAccess": "assigned"}
    assert ic.assignments(account.account_id, "PowerUserAccess") == [ic.groups["checkout"]]


def test_a_lost_sync_is_picked_up_by_the_sweep(
    users, team, task_queue, emulated_identity_center: IdentityCenter, settings
):
    account = vend_then_ask(users, team, task_queue, settings)
    task_queue.messages.clear()  # the poll's message lost (the broker, a dead worker)
    assert access_sweep() == []  # not due yet: its next check is planned
    AccountAccess.objects.filter(account=account).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    assert access_sweep() == [account.pk]
    task_queue.drain(pause=0.05)
    assert statuses(account) == {"PowerUserAccess": "assigned"}


def test_decommission_removes_the_access_before_closing(
    users, team, task_queue, emulated_identity_center: IdentityCenter, emulator_org
):
    ic = emulated_identity_center
    emulator_org.emulator.app.update_config({"close_delay_seconds": 0.3})
    account = vend(users, team, task_queue, pause=0.05)
    task_queue.drain(pause=0.05)
    assert ic.assignments(account.account_id, "PowerUserAccess") == [ic.groups["checkout"]]
    request = decommission(users, account)
    task_queue.messages.clear()
    task_queue.run_one("vending.lifecycle_request", (request.pk,))
    # DeleteAccountAssignment was asked in the same step, before CloseAccount.
    assert statuses(account) == {"PowerUserAccess": "removing"}
    run_until_settled(request, task_queue)  # (drops the access task's poll messages)
    account.refresh_from_db()
    assert (request.status, account.status) == (RequestStatus.COMPLETED, AccountStatus.CLOSED)
    assert account_access_sync(account_id=account.pk) is None  # the poll: AWS is done
    assert statuses(account) == {"PowerUserAccess": "removed"}
    assert ic.assignments(account.account_id, "PowerUserAccess") == []


def test_a_class_that_maps_other_permission_sets_changes_them(
    users, team, task_queue, emulated_identity_center: IdentityCenter
):
    ic = emulated_identity_center
    account = vend(users, team, task_queue, env="qa", pause=0.05)
    task_queue.drain(pause=0.05)
    assert statuses(account) == {"PowerUserAccess": "assigned"}
    request = change(users, account, cls="pci")
    approve_all(request, users)
    task_queue.drain(pause=0.05)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    # The blueprint: qa is PowerUserAccess, but pci's qa is ReadOnlyAccess.
    assert statuses(account) == {
        "PowerUserAccess": AccessStatus.REMOVED,
        "ReadOnlyAccess": AccessStatus.ASSIGNED,
    }
    group = ic.groups["checkout"]
    assert ic.assignments(account.account_id, "PowerUserAccess") == []
    assert ic.assignments(account.account_id, "ReadOnlyAccess") == [group]


def test_access_wanted_again_while_being_removed_is_assigned_again(
    users, team, task_queue, emulated_identity_center: IdentityCenter, settings
):
    from vending.services.teams import team_idp_group_set

    ic = emulated_identity_center
    account = vend(users, team, task_queue, pause=0.05)
    task_queue.drain(pause=0.05)
    ic.add_group("aws-checkout")
    team_idp_group_set(actor=users["admin"], team=team, idp_group="aws-checkout")
    task_queue.run_one("vending.access_sync", (account.pk,))  # the old group's: removing
    assert AccessAssignment.objects.get(account=account, group="checkout").status == "removing"
    team_idp_group_set(actor=users["admin"], team=team, idp_group="")  # and back
    task_queue.drain(pause=0.05)
    rows = dict(AccessAssignment.objects.filter(account=account).values_list("group", "status"))
    assert rows == {"checkout": "assigned", "aws-checkout": "removed"}
    assert ic.assignments(account.account_id, "PowerUserAccess") == [ic.groups["checkout"]]
