"""The organization's CreateAccount concurrency limit, shared by every worker.

AWS lets at most 5 CreateAccount requests be in progress per organization. Each
in-flight creation holds one `CreationSlot` row from just before CreateAccount until
its status leaves IN_PROGRESS; a conditional UPDATE claims a free slot, so any number of
workers on any hosts agree without a lock server.

An account that finds every slot taken does not poll: it stops and waits. Whoever
releases a slot passes it on to the account waiting longest and enqueues that account
once the release has committed; only when nobody waits does the slot become free. So
slots refill at once, first come first served, and a newcomer never takes a slot from
an account that waited. Claims and releases take turns (they lock the slot rows), and
an account counts as waiting as soon as it is `creating` without a slot, which it is
before it tries to claim one: of a claim and a release racing, either the claim sees the
free slot or the release sees the waiting account. The sweeper is the safety net for a
hand-over whose message the broker lost (the account holds a slot and does not move).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from vending.choices import AccountStatus, RequestStatus
from vending.dispatch import enqueue_account_step
from vending.models import CreationSlot, VendedAccount


def _lock_slots() -> list[CreationSlot]:
    """Every slot, by index, its row locked until the transaction ends: slot changes
    take turns. The rows are made the first time (and when the limit was raised)."""
    wanted = settings.VENDING_MAX_CONCURRENT_CREATES
    slots = list(
        CreationSlot.objects.select_for_update().filter(index__lt=wanted).order_by("index")
    )
    if len(slots) < wanted:
        CreationSlot.objects.bulk_create(
            [CreationSlot(index=i) for i in range(wanted)], ignore_conflicts=True
        )
        slots = list(
            CreationSlot.objects.select_for_update().filter(index__lt=wanted).order_by("index")
        )
    return slots


def creation_slot_claim(*, account: VendedAccount) -> bool:
    """Claim a slot for `account`; True if it holds one (already, passed on, or now)."""
    with transaction.atomic(savepoint=False):  # a caller's transaction needs none
        slots = _lock_slots()
        if any(slot.holder_id == account.pk for slot in slots):
            return True
        free = next((slot for slot in slots if slot.holder_id is None), None)
        if free is None:
            return False
        CreationSlot.objects.filter(index=free.index).update(
            holder=account, claimed_at=timezone.now(), listed_at=None, listed_in_progress=False
        )
    return True


def creation_slot_release(*, account: VendedAccount) -> None:
    """Give up `account`'s slot (if it holds one): to the account waiting longest, which
    is enqueued, or free when nobody waits."""
    with transaction.atomic(savepoint=False):  # a caller's transaction needs none
        held = [slot.index for slot in _lock_slots() if slot.holder_id == account.pk]
        if held:
            _pass_on(held[0], exclude=account.pk)


def _pass_on(index: int, *, exclude: int | None = None) -> int | None:
    """Hand slot `index` to the account waiting longest (under the slots' lock)."""
    waiting = _waiting_accounts()
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude)
    heir = waiting.values_list("pk", flat=True).first()
    CreationSlot.objects.filter(index=index).update(
        holder=heir,
        claimed_at=timezone.now() if heir is not None else None,
        listed_at=None,
        listed_in_progress=False,
    )
    if heir is not None:
        enqueue_account_step(heir)  # once the hand-over has committed
    return heir


def _waiting_accounts() -> QuerySet[VendedAccount]:
    """Accounts waiting for a slot, the one waiting longest first."""
    return VendedAccount.objects.filter(
        request__status=RequestStatus.PROVISIONING,
        status=AccountStatus.CREATING,
        create_request_id__isnull=True,
        account_id__isnull=True,
        slot__isnull=True,
    ).order_by("created_at", "pk")


def creation_slots_claim_listing(*, now: datetime, fresh_for: float) -> bool:
    """Take the turn to list the creations in flight: False when another read listed
    them (or is listing them) in the last `fresh_for` seconds. Of two reads at the same
    moment one gets the turn: the second UPDATE finds the rows just marked. The marked
    creations count as in progress until the listing says otherwise."""
    return bool(
        CreationSlot.objects.filter(holder__create_request_id__isnull=False)
        .exclude(listed_at__gte=now - timedelta(seconds=fresh_for))
        .exclude(listed_at__isnull=False, listed_in_progress=False)  # finished stays so
        .update(listed_at=now, listed_in_progress=True)
    )


def creation_slots_record_listing(*, in_progress: set[str], listed_at: datetime) -> list[int]:
    """Keep what one ListCreateAccountStatus(IN_PROGRESS) call, made just after
    `listed_at`, said of every creation in flight: the ones it listed are in progress;
    the others, requested before it (their rows untouched since), have finished.
    Returns the accounts whose creations have finished."""
    held = CreationSlot.objects.filter(holder__create_request_id__isnull=False)
    held.filter(holder__create_request_id__in=in_progress).update(
        listed_at=listed_at, listed_in_progress=True
    )
    finished = held.exclude(holder__create_request_id__in=in_progress).filter(
        holder__updated_at__lt=listed_at
    )
    holders = [pk for pk in finished.values_list("holder_id", flat=True) if pk is not None]
    finished.update(listed_at=listed_at, listed_in_progress=False)
    return holders


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
    """Free slots whose holder is no longer creating, and pass every free slot on to an
    account waiting for one (a safety net for the sweeper)."""
    with transaction.atomic():
        _lock_slots()
        reclaimed = (
            CreationSlot.objects.filter(holder__isnull=False)
            .exclude(holder__status=AccountStatus.CREATING)
            .update(holder=None, claimed_at=None, listed_at=None, listed_in_progress=False)
        )
        for index in CreationSlot.objects.filter(
            index__lt=settings.VENDING_MAX_CONCURRENT_CREATES, holder__isnull=True
        ).values_list("index", flat=True):
            if _pass_on(index) is None:
                break
    return reclaimed
