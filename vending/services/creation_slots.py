"""The organization's CreateAccount concurrency limit, shared by every worker.

AWS lets at most 5 CreateAccount requests be in progress per organization. Each
in-flight creation holds one `CreationSlot` row from just before CreateAccount until
its status leaves IN_PROGRESS; a conditional UPDATE claims a free slot, so any number of
workers on any hosts agree without a lock server.

An account that finds every slot taken does not poll: it stops, and whoever releases a
slot enqueues the accounts waiting longest, as many as slots are free, once the
release has committed. An account counts as waiting as soon as it is `creating` without
a slot, which it is before it tries to claim one: so of a claim and a release racing,
either the claim sees the free slot or the release sees the waiting account. The
sweeper is the safety net for a wake-up the broker lost.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vending.choices import AccountStatus, RequestStatus
from vending.dispatch import enqueue_account_step
from vending.models import CreationSlot, VendedAccount


def _ensure_slots() -> list[int]:
    wanted = range(settings.VENDING_MAX_CONCURRENT_CREATES)
    existing = set(CreationSlot.objects.values_list("index", flat=True))
    missing = [CreationSlot(index=i) for i in wanted if i not in existing]
    if missing:
        CreationSlot.objects.bulk_create(missing, ignore_conflicts=True)
    return list(wanted)


def creation_slot_claim(*, account: VendedAccount) -> bool:
    """Claim a slot for `account`; True if it holds one (already or now)."""
    if CreationSlot.objects.filter(holder=account).exists():
        return True
    for index in _ensure_slots():
        with transaction.atomic():
            if CreationSlot.objects.filter(index=index, holder__isnull=True).update(
                holder=account, claimed_at=timezone.now()
            ):
                return True
    return False


def creation_slot_release(*, account: VendedAccount) -> None:
    """Free `account`'s slot (if it holds one) and wake the accounts waiting for one."""
    released = CreationSlot.objects.filter(holder=account).update(
        holder=None, claimed_at=None, listed_at=None, listed_in_progress=False
    )
    if released:
        transaction.on_commit(creation_slot_waiters_wake)


def creation_slot_waiters_wake() -> list[int]:
    """Enqueue the accounts waiting longest for a slot, one per free slot."""
    free = CreationSlot.objects.filter(index__in=_ensure_slots(), holder__isnull=True).count()
    if not free:
        return []
    waiting = list(
        VendedAccount.objects.filter(
            request__status=RequestStatus.PROVISIONING,
            status=AccountStatus.CREATING,
            create_request_id__isnull=True,
            account_id__isnull=True,
            slot__isnull=True,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:free]
    )
    for pk in waiting:
        enqueue_account_step(pk)
    return waiting


def creation_slots_record_listing(*, in_progress: set[str], listed_at: datetime) -> None:
    """Keep what one ListCreateAccountStatus(IN_PROGRESS) call, made just after
    `listed_at`, said of every creation in flight: the ones it listed are in progress;
    the others, requested before it (their rows untouched since), have finished."""
    held = CreationSlot.objects.filter(holder__create_request_id__isnull=False)
    held.filter(holder__create_request_id__in=in_progress).update(
        listed_at=listed_at, listed_in_progress=True
    )
    held.exclude(holder__create_request_id__in=in_progress).filter(
        holder__updated_at__lt=listed_at
    ).update(listed_at=listed_at, listed_in_progress=False)


def creation_slot_listing(*, account: VendedAccount) -> tuple[datetime, bool] | None:
    """When a listing last reported on `account`'s creation and whether it was in
    progress then; None if none did since its slot was claimed."""
    row = (
        CreationSlot.objects.filter(holder=account, listed_at__isnull=False)
        .values_list("listed_at", "listed_in_progress")
        .first()
    )
    if row is None or row[0] is None:
        return None
    return row[0], row[1]


def creations_in_flight() -> int:
    """Creations the portal has requested and not yet seen finish."""
    return CreationSlot.objects.filter(holder__create_request_id__isnull=False).count()


def creation_slots_reclaim() -> int:
    """Free slots whose holder is no longer creating, and wake accounts for the free
    slots (a safety net for the sweeper)."""
    reclaimed = (
        CreationSlot.objects.filter(holder__isnull=False)
        .exclude(holder__status=AccountStatus.CREATING)
        .update(holder=None, claimed_at=None, listed_at=None, listed_in_progress=False)
    )
    transaction.on_commit(creation_slot_waiters_wake)
    return reclaimed
