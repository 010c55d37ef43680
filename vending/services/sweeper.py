"""The periodic sweeper: finds work left behind and puts it back in the queue.

Work is left behind when a worker dies mid-task (its message may only come back after
the broker's visibility timeout, or never with the filesystem broker): an account whose
lease lapsed unreleased is handed on at the next sweep, other work once it is stale. Work
the broker refused is sent again sooner by vending/dispatch.py's `dispatch_pending_send`.
Every step is idempotent, so enqueueing something that is in fact still alive does no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from vending.choices import (
    ACCOUNT_IN_FLIGHT,
    KINDS_LIFECYCLE,
    AccountStatus,
    RequestKind,
    RequestStatus,
)
from vending.dispatch import enqueue_account_step, enqueue_lifecycle_step
from vending.models import AccountRequest, VendedAccount
from vending.services.account_setup import account_setups_requeue
from vending.services.creation_slots import creation_slots_reclaim
from vending.services.provisioning import provisioning_request_settle
from vending.transitions import transition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    accounts_requeued: list[int]
    requests_settled: list[int]
    requests_started: list[int]
    slots_reclaimed: int
    lifecycle_requeued: list[int]


def provisioning_sweep() -> SweepResult:
    stale_before = timezone.now() - timedelta(seconds=settings.VENDING_SWEEP_STALE_SECONDS)

    # An approval whose "start provisioning" step did not run.
    started = []
    for request in AccountRequest.objects.filter(
        status=RequestStatus.APPROVED, updated_at__lt=stale_before
    ):
        transition(request, to=RequestStatus.PROVISIONING, message="Started by the sweeper.")
        started.append(request.pk)

    stuck = _accounts_requeue(stale_before)
    lifecycle = _lifecycle_requeue(stale_before)
    account_setups_requeue(stale_before=stale_before)  # contacts and budgets (logged)

    settled = []
    for request_id in (
        AccountRequest.objects.filter(status=RequestStatus.PROVISIONING, kind=RequestKind.CREATE)
        .exclude(accounts__status__in=ACCOUNT_IN_FLIGHT)
        .values_list("pk", flat=True)
    ):
        request = provisioning_request_settle(request_id=request_id)
        if request.status != RequestStatus.PROVISIONING:
            settled.append(request_id)

    return SweepResult(
        accounts_requeued=stuck,
        requests_settled=settled,
        requests_started=started,
        slots_reclaimed=creation_slots_reclaim(),
        lifecycle_requeued=lifecycle,
    )


def _lifecycle_requeue(stale_before: datetime) -> list[int]:
    """A request about an existing account whose worker died (or whose task was lost)."""
    lifecycle = list(
        AccountRequest.objects.filter(
            status=RequestStatus.PROVISIONING,
            kind__in=KINDS_LIFECYCLE,
            updated_at__lt=stale_before,
        ).values_list("pk", flat=True)
    )
    if lifecycle:
        AccountRequest.objects.filter(pk__in=lifecycle).update(updated_at=timezone.now())
        for pk in lifecycle:
            enqueue_lifecycle_step(pk)
    return lifecycle


def _accounts_requeue(stale_before: datetime) -> list[int]:
    """Accounts in flight whose worker died (a lapsed lease) or that nothing touched for
    the staleness period: each is queued again."""
    now = timezone.now()
    # A lease that lapsed unreleased: the run holding it died with its worker, its work is
    # handed on at once. Otherwise an account untouched for the staleness period is. A
    # creation whose status read is due later is not stuck, it waits for AWS.
    lapsed = Q(lease_until__lt=now) & (Q(check_due_at__isnull=True) | Q(check_due_at__lt=now))
    idle = Q(lease_until__isnull=True, updated_at__lt=stale_before) & (
        Q(check_due_at__isnull=True) | Q(check_due_at__lt=stale_before)
    )
    stuck = list(
        VendedAccount.objects.filter(
            request__status=RequestStatus.PROVISIONING,
            request__kind=RequestKind.CREATE,
            status__in=ACCOUNT_IN_FLIGHT,
        )
        .filter(lapsed | idle)
        # Nor is an account waiting for a creation slot: creation_slots_reclaim below
        # wakes as many of them as slots are free.
        .exclude(
            status=AccountStatus.CREATING,
            create_request_id__isnull=True,
            account_id__isnull=True,
            slot__isnull=True,
        )
        .values_list("pk", flat=True)
    )
    if stuck:
        # Touch them so the next sweep waits a full period before trying again; a lapsed
        # lease is dropped (a live run's lease is in the future and not matched).
        VendedAccount.objects.filter(pk__in=stuck, lease_until__lt=now).update(lease_until=None)
        VendedAccount.objects.filter(pk__in=stuck).update(updated_at=now)
        for pk in stuck:
            enqueue_account_step(pk)
        logger.warning("Sweeper re-enqueued %d stuck account(s): %s", len(stuck), stuck)
    return stuck
