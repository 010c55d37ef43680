"""Access to a vended account through IAM Identity Center, safe to repeat and to crash.

Each (account, group, permission set) the blueprint wants (`selectors.access`) is an
`AccessAssignment`:

    pending -> in_progress (CreateAccountAssignment asked) -> assigned
                                                \\-> failed (AWS's reason, shown)
    assigned -> removing (DeleteAccountAssignment asked) -> removed

`account_access_sync` compares what is wanted with the rows, and takes each row one step
further, under the account's access lease (a second delivery of the task stops at once).
Both AWS calls are asynchronous: their request id is stored, and the task is called again
after a countdown to read the status. Before CreateAccountAssignment the row gets its
write-ahead marker; a later run that finds the marker without a request id asks AWS what
is assigned (ListAccountAssignments) before asking again, and asking for an assignment
that exists does not make a second one.

Access never fails an account: a refusal (group or permission set unknown, access
denied) marks the row failed with the reason; a transient error is recorded on the row
and raised once every row has had its turn (the task retries with backoff, the periodic
sweep picks up what the retries leave). Without Identity Center (VENDING_IDENTITY_CENTER
off) nothing is called at all; without an instance the account says so.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vending.access_models import AccessAssignment, AccountAccess
from vending.audit import Actor
from vending.aws import AwsError
from vending.aws.identity_center import (
    IdentityCenterGateway,
    get_identity_center,
)
from vending.choices import AccessStatus, AccountStatus
from vending.dispatch import enqueue_access_sync
from vending.errors import PermissionDenied
from vending.models import VendedAccount
from vending.roles import is_admin
from vending.selectors.access import identity_center_enabled
from vending.services.access_steps import AccessRun

logger = logging.getLogger(__name__)

LEASE_SECONDS = 60


def access_sync_enqueue(account: VendedAccount) -> None:
    """After the surrounding transaction commits, sync the account's access (nothing when
    Identity Center is off). The hook of every change that may change who has access:
    ready, decommissioned, another team, another class."""
    if identity_center_enabled():
        enqueue_access_sync(account.pk)


def access_remove_now(account: VendedAccount) -> None:
    """Decommission: ask for the account's assignments to be deleted in this run, before
    it is closed or removed. Never fails the decommission: an AWS error, or a deletion
    AWS is still carrying out, is left to the access task."""
    if not identity_center_enabled():
        return
    try:
        countdown = account_access_sync(account_id=account.pk)
    except AwsError as exc:
        logger.warning("Access of account %s not removed yet (%s); retried", account.pk, exc)
        countdown = float(settings.VENDING_ACCESS_POLL_SECONDS)
    if countdown is not None:
        enqueue_access_sync(account.pk, countdown)


def account_access_sync(
    *, account_id: int, gateway: IdentityCenterGateway | None = None
) -> float | None:
    """Bring the account's assignments to what the blueprint wants. Returns a countdown
    while AWS works on one, else None. Raises the first transient error met (after every
    row had its turn)."""
    if not identity_center_enabled():
        return None
    state, _ = AccountAccess.objects.get_or_create(account_id=account_id)
    lease = _lease_take(account_id)
    if lease is None:
        logger.info("Access of account %s is being synced by another delivery", account_id)
        return None
    # Written with the lease's release: when an assignment AWS is working on is due again.
    release: dict[str, object] = {"lease_until": None}
    try:
        account = VendedAccount.objects.select_related("request__team", "team").get(pk=account_id)
        run = AccessRun(account, gateway or get_identity_center(), notice=state.notice)
        countdown = run.sync()
        release["next_check_at"] = None if countdown is None else timezone.now() + _delta(countdown)
        if run.transient is not None:
            raise run.transient
        return countdown
    finally:
        AccountAccess.objects.filter(account_id=account_id, lease_until=lease).update(**release)


def access_retry(*, actor: Actor, account: VendedAccount) -> int:
    """An admin sends the account's failed assignments back to work (after the cause was
    fixed: the group or permission set created, the role's policy granted); returns how
    many."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can retry an account's access.")
    with transaction.atomic():
        count = AccessAssignment.objects.filter(account=account, status=AccessStatus.FAILED).update(
            status=AccessStatus.PENDING, request_id="", requested_at=None, attempts=0
        )
        access_sync_enqueue(account)
    return count


def access_sync_all(*, account_ids: list[str] | None = None) -> list[str]:
    """Queue the access sync of every ready account (or of these AWS account ids): after
    the blueprint's access section or Identity Center changed, or for accounts made
    before the portal managed access. Returns the AWS account ids queued."""
    if not identity_center_enabled():
        return []
    accounts = VendedAccount.objects.filter(status=AccountStatus.READY, account_id__isnull=False)
    if account_ids is not None:
        accounts = accounts.filter(account_id__in=account_ids)
    queued = []
    for account in accounts.order_by("pk"):
        access_sync_enqueue(account)
        queued.append(str(account.account_id))
    return queued


def access_sweep() -> list[int]:
    """Periodic: queue every account whose access sync is due and not held (a worker
    died, the retries ran out, a message was lost); returns their pks."""
    if not identity_center_enabled():
        return []
    now = timezone.now()
    unfinished = AccessAssignment.objects.filter(
        status__in=[AccessStatus.PENDING, AccessStatus.IN_PROGRESS, AccessStatus.REMOVING]
    ).values("account_id")
    due = AccountAccess.objects.filter(account_id__in=unfinished).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    due = due.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lt=now))
    pks = list(due.values_list("account_id", flat=True))
    for pk in pks:
        enqueue_access_sync(pk)
    return pks


def _delta(seconds: float) -> timedelta:
    return timedelta(seconds=seconds + LEASE_SECONDS)


def _lease_take(account_id: int) -> datetime | None:
    now = timezone.now()
    until = now + timedelta(seconds=LEASE_SECONDS)
    taken = AccountAccess.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), account_id=account_id
    ).update(lease_until=until)
    return until if taken else None
