"""Enqueue Celery work once the surrounding transaction has committed.

If the broker cannot be reached at that moment the committed state is not lost: the
message is written to `PendingDispatch` and the periodic `sweep` task (beat, every
VENDING_SWEEP_INTERVAL_SECONDS) sends it first thing as soon as the broker answers
again; the sweeper's staleness rule remains the last resort, and the outbox's periodic
run sends the e-mails waiting in it.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def _send(task_name: str, pk: int, countdown: float | None = None) -> None:
    from vending import tasks

    try:
        getattr(tasks, task_name).apply_async(args=(pk,), countdown=countdown)
    except Exception:
        # The row is committed; failing the caller's page because the broker blinked
        # would help no one. The message is kept to be sent once the broker is back.
        logger.exception("Could not enqueue %s(%s); it is kept to be sent again", task_name, pk)
        _keep(task_name, pk)


def _keep(task_name: str, pk: int) -> None:
    from vending.dispatch_models import PendingDispatch

    try:
        PendingDispatch.objects.get_or_create(task=task_name, object_id=pk)
    except Exception:
        # The database is gone too: the sweeper finds the work once it is stale.
        logger.exception("Could not keep %s(%s); the sweeper will retry", task_name, pk)


def dispatch_pending_send() -> int:
    """Send the messages the broker did not take, oldest first; returns how many went.

    Stops at the first failure (the broker is still away) and keeps the rest. A message
    sent twice does no harm: every step is idempotent.
    """
    from vending import tasks
    from vending.dispatch_models import PendingDispatch

    sent = 0
    for pending in PendingDispatch.objects.order_by("pk"):
        try:
            getattr(tasks, pending.task).apply_async(args=(pending.object_id,))
        except Exception:
            logger.warning("The broker still refuses %s; kept for the next run", pending)
            break
        pending.delete()
        sent += 1
    return sent


def enqueue_request_provisioning(request_id: int) -> None:
    transaction.on_commit(lambda: _send("provision_request", request_id))


def enqueue_account_step(account_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: _send("provision_account", account_id, countdown))


def enqueue_account_setup(account_id: int) -> None:
    """Set a ready account's contacts and budget in AWS (vending/services/account_setup.py)."""
    transaction.on_commit(lambda: _send("account_setup", account_id))


def enqueue_drift_scan() -> None:
    """A drift scan now (an admin asked, or the scheduler started); if the broker cannot
    take it, the next scheduled scan runs anyway."""

    def send() -> None:
        from vending import tasks

        try:
            tasks.org_drift_scan.apply_async()
        except Exception:
            logger.exception("Could not enqueue a drift scan; the next scheduled one runs")

    transaction.on_commit(send)


def enqueue_lifecycle_step(request_id: int, countdown: float | None = None) -> None:
    """The next step of a request about an existing account (change_class, ...)."""
    transaction.on_commit(lambda: _send("lifecycle_request", request_id, countdown))


def enqueue_access_sync(account_id: int, countdown: float | None = None) -> None:
    """Sync an account's Identity Center access (vending/services/account_access.py)."""
    transaction.on_commit(lambda: _send("access_sync", account_id, countdown))


def _kick_outbox() -> None:
    from vending import tasks

    try:
        tasks.outbox_send.apply_async()
    except Exception:
        # The e-mail is in the outbox (committed): beat's next run of the task sends it.
        logger.warning("Could not enqueue the outbox's sender; its periodic run will send")


def enqueue_outbox_send() -> None:
    """Send the outbox's e-mails once the surrounding transaction has committed."""
    transaction.on_commit(_kick_outbox)


def enqueue_cost_refresh() -> None:
    """A refresh of the accounts' spend now (an admin asked); if the broker cannot take
    it, the periodic check refreshes when the figures are due anyway."""

    def send() -> None:
        from vending import tasks

        try:
            tasks.cost_refresh.apply_async(kwargs={"force": True})
        except Exception:
            logger.exception("Could not enqueue a cost refresh; the periodic one runs")

    transaction.on_commit(send)
