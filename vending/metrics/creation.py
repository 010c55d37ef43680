"""The account creation duration histogram: from the CreateAccount call to the moment the
portal saw the creation succeed.

Observed in the process that moves the account from creating to placing, after that
change commits. The status change is a compare-and-swap that writes one audit event, so
each creation is observed once, however many workers race on it. The start is the
account's `create_requested_at` (set just before CreateAccount is called); an account
the portal adopted instead of creating (found by its e-mail) is not a creation and is
not observed. The time includes the portal's polling delay: it is how long a creation
takes as the portal lives it, which is what waits on it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache, partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from prometheus_client import Histogram

from vending.choices import AccountStatus, AuditAction
from vending.models import AuditEvent

logger = logging.getLogger(__name__)

# Real AWS takes a few minutes; the emulator seconds.
BUCKETS = (1, 2, 5, 10, 20, 30, 60, 90, 120, 180, 300, 600, 900, 1800, 3600)


@cache
def account_creation_seconds() -> Histogram:
    # Made on first use, after `metrics_multiprocess_setup`: a metric without labels
    # creates its values at once, and they must be the multiprocess kind.
    return Histogram(
        "vending_account_creation_seconds",
        "Seconds from an account's CreateAccount call until the portal saw it succeed.",
        buckets=BUCKETS,
    )


def creation_duration_observe_on_commit() -> None:
    """Observe every creation the portal sees succeed from now on (the app's `ready()`)."""
    post_save.connect(
        _on_audit_event, sender=AuditEvent, dispatch_uid="vending-metrics-account-creation"
    )


def _on_audit_event(sender: type[AuditEvent], instance: AuditEvent, **kwargs: Any) -> None:
    if not kwargs.get("created") or instance.action != AuditAction.ACCOUNT_STATUS_CHANGED:
        return
    if (instance.from_status, instance.to_status) != (
        AccountStatus.CREATING,
        AccountStatus.PLACING,
    ):
        return
    try:
        account = instance.account
        requested_at = account.create_requested_at if account else None
        if account is None or requested_at is None or not account.create_request_id:
            return
        # robust: a failure to observe is logged, never raised into the committed work.
        # An account adopted by this change says so (`adopted`, written by the same
        # UPDATE): only then is the trail read to tell an adoption from a creation.
        transaction.on_commit(
            partial(_observe, account.pk, requested_at, instance.created_at, maybe=account.adopted),
            robust=True,
        )
    except Exception:
        logger.warning("Could not observe an account creation", exc_info=True)


def _observe(
    account_pk: int, requested_at: datetime, seen_at: datetime, *, maybe: bool = True
) -> None:
    """`maybe`: whether the account may have been adopted rather than created."""
    adopted = (
        maybe
        and AuditEvent.objects.filter(
            account_id=account_pk,
            action=AuditAction.ACCOUNT_ADOPTED,
            created_at__gte=requested_at,
        ).exists()
    )
    if not adopted:
        account_creation_seconds().observe(max(0.0, (seen_at - requested_at).total_seconds()))
