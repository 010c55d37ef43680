"""Leases: accounts that end on a date. Their team's leads are reminded 7 days and 1 day
before; on the day the portal itself files and starts a decommission (audited as the
portal's, because of the lease), unless an approved `extend` request moved the date.
While another request about the account is open (an extension waiting for approval),
the decommission waits for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from vending.audit import request_submitted
from vending.choices import AccountStatus, RequestKind, RequestStatus
from vending.dispatch import enqueue_lifecycle_step
from vending.models import AccountRequest, VendedAccount
from vending.notifications import notify_lease_ending, notify_requester
from vending.selectors.leases import REMINDER_DAYS
from vending.selectors.lifecycle_plans import open_request_on
from vending.transitions import transition

logger = logging.getLogger(__name__)


@dataclass
class LeaseSweep:
    reminded: list[int] = field(default_factory=list)
    decommissioned: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)


def leases_sweep(*, today: date | None = None) -> LeaseSweep:
    """Remind and expire; safe to run twice (each step is a conditional UPDATE)."""
    today = today or timezone.localdate()
    result = LeaseSweep()
    due = VendedAccount.objects.filter(
        status=AccountStatus.READY,
        request__isnull=False,
        expires_on__isnull=False,
        expires_on__lte=today + timedelta(days=max(REMINDER_DAYS)),
    ).select_related("request__team", "request__requester")
    for account in due:
        assert account.expires_on is not None
        days = (account.expires_on - today).days
        if days <= 0:
            started = _expire(account)
            (result.decommissioned if started else result.waiting).append(account.pk)
        elif _remind(account, days):
            result.reminded.append(account.pk)
    return result


def _remind(account: VendedAccount, days: int) -> bool:
    step = min(d for d in REMINDER_DAYS if days <= d)
    last = account.expiry_reminded_days
    if last and last <= step:
        return False
    with transaction.atomic():
        if not VendedAccount.objects.filter(pk=account.pk, expiry_reminded_days=last).update(
            expiry_reminded_days=step
        ):
            return False  # another run reminded it
        notify_lease_ending(account, days=days)
    return True


def _expire(account: VendedAccount) -> bool:
    """File the decommission as the portal and start it at once (the lease was approved
    with the creation). False while another request about the account is open."""
    creating = account.request
    assert creating is not None and account.expires_on is not None
    if open_request_on(account) is not None:
        return False
    reason = f"The lease ended on {account.expires_on}: decommissioned by the portal."
    try:
        with transaction.atomic():
            request = AccountRequest.objects.create(
                kind=RequestKind.DECOMMISSION,
                target_account=account,
                team=creating.team,
                requester=creating.requester,
                compliance_class=account.class_value or "",
                environments=[account.environment] if account.environment else [],
                justification=reason,
                approvals_required=0,
            )
            request_submitted(actor=None, request=request)
            transition(request, to=RequestStatus.APPROVED, message=reason)
            transition(request, to=RequestStatus.PROVISIONING, message=reason)
            enqueue_lifecycle_step(request.pk)
    except IntegrityError:
        return False  # another run filed it
    logger.info("Lease of account %s ended: request #%s", account.pk, request.pk)
    return True


def lease_extend_step(request: AccountRequest, account: VendedAccount) -> None:
    """An approved extension: the lease's new end, reminders from scratch."""
    with transaction.atomic():
        transition(
            request, to=RequestStatus.COMPLETED, message=f"Lease extended to {request.expires_on}."
        )
        VendedAccount.objects.filter(pk=account.pk).update(
            expires_on=request.expires_on, expiry_reminded_days=0
        )
        notify_requester(request, RequestStatus.COMPLETED)
