"""Enqueue Celery work once the surrounding transaction has committed.

If the broker cannot be reached at that moment the committed state is not lost: the
periodic sweeper finds the work waiting and enqueues it again, and the outbox's
periodic run sends the e-mails waiting in it.
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
        # The row is committed and the sweeper re-enqueues it; failing the caller's
        # page because the broker blinked would help no one.
        logger.exception("Could not enqueue %s(%s); the sweeper will retry", task_name, pk)


def enqueue_request_provisioning(request_id: int) -> None:
    transaction.on_commit(lambda: _send("provision_request", request_id))


def enqueue_account_step(account_id: int, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: _send("provision_account", account_id, countdown))


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
