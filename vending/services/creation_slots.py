"""The organization's CreateAccount concurrency limit, shared by every worker.

AWS lets at most 5 CreateAccount requests be in progress per organization. Each
in-flight creation holds one `CreationSlot` row from just before CreateAccount until
its status leaves IN_PROGRESS; a conditional UPDATE claims a free slot, so any number of
workers on any hosts agree without a lock server.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vending.choices import AccountStatus
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
    CreationSlot.objects.filter(holder=account).update(holder=None, claimed_at=None)


def creation_slots_reclaim() -> int:
    """Free slots whose holder is no longer creating (a safety net for the sweeper)."""
    return (
        CreationSlot.objects.filter(holder__isnull=False)
        .exclude(holder__status=AccountStatus.CREATING)
        .update(holder=None, claimed_at=None)
    )
