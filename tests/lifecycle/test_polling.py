"""A request waiting for AWS or for its turn (an open handshake, a closing account, an
invitation queued past the day's limit) is looked at by one chain of tasks, however
often the periodic sync and the sweeper enqueue it: a delivery that is not due stops at
once, without calling AWS. (Found by the system tests: each sync used to start one more
chain per waiting request, for as long as it waited, each calling AWS.)"""

from __future__ import annotations

import pytest
from django.utils import timezone

from vending.choices import AccountStatus
from vending.services import account_lifecycle
from vending.services.sweeper import provisioning_sweep

from .conftest import next_look_due
from .test_invite import invite, standalone, step

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]

LIFECYCLE = "vending.lifecycle_request"


def chains(task_queue) -> int:
    return sum(1 for name, _, _ in task_queue.messages if name == LIFECYCLE)


def deliver_all(task_queue) -> None:
    """Deliver what the broker would now: every message sent without a countdown (the
    sync's, the sweeper's); a chain's next look stays queued until it is due."""
    now = [m for m in task_queue.messages if m[0] == LIFECYCLE and not m[2]]
    task_queue.messages[:] = [m for m in task_queue.messages if m not in now]
    for name, args, _ in now:
        task_queue.run_one(name, args)


def test_an_open_handshake_is_polled_by_one_chain_whatever_the_sync_enqueues(
    users, team, emulator_org, task_queue, settings
):
    settings.VENDING_SWEEP_STALE_SECONDS = 0  # the sweeper too finds it "stale" each time
    request = invite(users, team, standalone(emulator_org, "waiting"))
    step(request, task_queue)
    account = request.target_account
    account.refresh_from_db()
    assert account.status == AccountStatus.INVITED
    assert chains(task_queue) == 1  # its own next look, a sync period later
    describes = emulator_org.stats()["calls"].get("DescribeHandshake", 0)
    for _ in range(4):  # four sync and sweep periods, the chain's message not due yet
        account_lifecycle.lifecycle_sync()
        provisioning_sweep()
        deliver_all(task_queue)
    assert chains(task_queue) <= 1, task_queue.messages
    # The deliveries that were not due stopped before any AWS call.
    assert emulator_org.stats()["calls"].get("DescribeHandshake", 0) == describes


def test_a_due_look_runs_and_schedules_the_next_one(users, team, emulator_org, task_queue):
    request = invite(users, team, standalone(emulator_org, "due"))
    step(request, task_queue)
    account = request.target_account
    describes = emulator_org.stats()["calls"].get("DescribeHandshake", 0)
    next_look_due(request)
    task_queue.messages.clear()
    assert account_lifecycle.lifecycle_sync() == [request.pk]
    deliver_all(task_queue)
    assert emulator_org.stats()["calls"]["DescribeHandshake"] == describes + 1
    assert chains(task_queue) == 1
    account.refresh_from_db()
    assert account.check_due_at > timezone.now()
    # Not due any more: the next sync leaves it to its chain.
    assert account_lifecycle.lifecycle_sync() == []
