"""Celery tasks: each takes an id, calls one service, and declares its retries.

Only transient AWS errors (throttling, concurrent modification, 5xx, network) and
database hiccups are retried, with jittered exponential backoff and a bound. Work
that exhausts its retries is not lost: it stays in its state and the sweeper picks
it up again.
"""

from __future__ import annotations

from smtplib import SMTPException
from typing import Any

from celery import Task, shared_task
from django.core.mail import send_mail
from django.db import OperationalError

from vending.aws import TransientAwsError
from vending.dispatch import dispatch_pending_send, enqueue_access_sync, enqueue_account_step
from vending.services.access_drift import access_drift_check
from vending.services.account_access import access_sweep, account_access_sync
from vending.services.account_lifecycle import lifecycle_request_advance, lifecycle_sync
from vending.services.account_setup import account_setup_advance, budget_recipients_check
from vending.services.costs import cost_refresh as refresh_costs
from vending.services.drift import org_drift_scan as drift_scan
from vending.services.outbox import outbox_purge, outbox_send_due
from vending.services.provisioning import provisioning_advance, provisioning_request_start
from vending.services.sweeper import provisioning_sweep


class ProvisioningTask(Task):
    autoretry_for = (TransientAwsError, OperationalError)
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 8
    acks_late = True
    reject_on_worker_lost = True
    # A run is a few AWS calls. Its hard limit stays below the account's lease
    # (VENDING_CREATE_LEASE_SECONDS), so a lease outlives any run holding it, and a
    # dead worker's lease lapses soon for the sweeper to hand the account on.
    soft_time_limit = 30
    time_limit = 40


# A periodic read of AWS that AWS did not answer (throttled, 5xx, unreachable) is tried
# again within about a minute (5, 10, 20, 40 s, jittered) rather than at the next
# periodic run; a refusal (PermanentAwsError) is not.
AWS_READ_RETRIES: dict[str, Any] = {
    "autoretry_for": (TransientAwsError,),
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 4,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(base=ProvisioningTask, name="vending.provision_request")
def provision_request(request_id: int) -> list[int]:
    return provisioning_request_start(request_id=request_id)


@shared_task(base=ProvisioningTask, bind=True, name="vending.provision_account")
def provision_account(self: ProvisioningTask, account_id: int) -> float | None:
    countdown = provisioning_advance(account_id=account_id)
    if countdown is not None:
        # Poll by re-queueing, never by sleeping in the worker; a message the broker
        # refuses is kept and sent by the first sweep once it answers (vending/dispatch.py).
        enqueue_account_step(account_id, countdown)
    return countdown


@shared_task(base=ProvisioningTask, bind=True, name="vending.lifecycle_request")
def lifecycle_request(self: ProvisioningTask, request_id: int) -> float | None:
    """The next step of a request about an existing account (change_class, ...)."""
    countdown = lifecycle_request_advance(request_id=request_id)
    if countdown is not None:
        self.apply_async(args=(request_id,), countdown=countdown)
    return countdown


@shared_task(base=ProvisioningTask, name="vending.account_setup")
def account_setup(account_id: int) -> None:
    """A ready account's alternate contacts and budget, set in AWS (or the budget
    removed); a refusal is recorded on the account, never failing it."""
    account_setup_advance(account_id=account_id)


@shared_task(base=ProvisioningTask, name="vending.access_sync")
def access_sync(account_id: int) -> float | None:
    """Bring an account's Identity Center assignments to what the blueprint wants; polled
    by re-queueing while AWS works on one."""
    countdown = account_access_sync(account_id=account_id)
    if countdown is not None:
        enqueue_access_sync(account_id, countdown)
    return countdown


@shared_task(name="vending.access_sweep", acks_late=True, reject_on_worker_lost=True)
def access_sweep_task() -> list[int]:
    """Periodic (beat): queue the accounts whose access sync was lost or ran out of retries."""
    return access_sweep()


@shared_task(name="vending.access_drift", **AWS_READ_RETRIES)
def access_drift_task() -> list[int]:
    """Periodic (beat): assignments removed in Identity Center by hand shown as failed."""
    return access_drift_check()


@shared_task(name="vending.budget_recipients", acks_late=True, reject_on_worker_lost=True)
def budget_recipients_task() -> list[int]:
    """Periodic (beat): queue the budgets whose owner, team leads or their e-mail changed."""
    return budget_recipients_check()


@shared_task(name="vending.lifecycle_sync", acks_late=True, reject_on_worker_lost=True)
def lifecycle_sync_task() -> list[int]:
    """Periodic (beat): the next step of every invitation and decommission under way
    (handshakes answered, accounts closed, queued invitations and closes now due)."""
    return lifecycle_sync()


@shared_task(name="vending.sweep", acks_late=True, reject_on_worker_lost=True)
def sweep() -> dict[str, Any]:
    # First what the broker refused: the first sweep it takes sends it all again.
    dispatched = dispatch_pending_send()
    result = provisioning_sweep()
    return {
        "dispatched": dispatched,
        "accounts_requeued": result.accounts_requeued,
        "requests_settled": result.requests_settled,
        "requests_started": result.requests_started,
        "slots_reclaimed": result.slots_reclaimed,
        "lifecycle_requeued": result.lifecycle_requeued,
    }


# The scan records a refusal (PermanentAwsError); the next run tries again.
@shared_task(name="vending.org_drift_scan", **AWS_READ_RETRIES)
def org_drift_scan() -> dict[str, Any]:
    result = drift_scan()
    return {"open": len(result.open), "reported": len(result.reported)}


# Periodic (beat, every VENDING_COST_CHECK_SECONDS): reads Cost Explorer only when the
# figures are due; `force` when an admin asked. No retries: each call costs money, and a
# failed refresh is kept with its error and tried again after VENDING_COST_RETRY_SECONDS.
@shared_task(name="vending.cost_refresh", acks_late=True, reject_on_worker_lost=True)
def cost_refresh(force: bool = False) -> dict[str, Any]:
    refresh = refresh_costs(force=force)
    if refresh is None:
        return {"refreshed": False}
    return {"refreshed": True, "calls": refresh.calls, "rows": refresh.rows, "error": refresh.error}


@shared_task(name="vending.outbox_send", acks_late=True, reject_on_worker_lost=True)
def outbox_send(purge: bool = False) -> dict[str, Any]:
    """Kicked when a notification commits, and periodically (beat, `purge`: also forget
    old sent ones); the outbox keeps its own retries, so the task declares none."""
    run = outbox_send_due()
    return {
        "sent": len(run.sent),
        "obsolete": len(run.obsolete),
        "retried": len(run.retried),
        "failed": len(run.failed),
        "purged": outbox_purge() if purge else 0,
    }


# E-mails go through the outbox (`outbox_send`); this task stays so that messages queued
# before the outbox existed are still delivered.
@shared_task(
    name="vending.send_email",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
)
def send_email(recipients: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, None, recipients)
