"""The API's periodic task. Imported by Celery through `CELERY_IMPORTS` (settings)."""

from __future__ import annotations

from celery import shared_task

from vending.api.idempotency import idempotency_keys_purge


@shared_task(name="vending.api.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()
