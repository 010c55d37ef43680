"""Carrying out an approved request about an existing account, safe to repeat and to
crash: change_class (MoveAccount into the new class's OU) and decommission
(`services.decommission`).

`lifecycle_request_advance` works under the target account's lease (the one creation
uses), so a second delivery of the task stops at once. Each step first looks at what is
already true: an account whose record already says the new class has nothing left to
do; one that AWS already holds in the target OU (the worker died between the move and
the database update) is recorded and completed without another move. No database
transaction is open during an AWS call.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vending.audit import account_class_changed, account_moved
from vending.aws import OrganizationsGateway, PermanentAwsError, get_gateway
from vending.blueprint.current import class_ou_path
from vending.choices import AccountStatus, RequestKind, RequestStatus
from vending.dispatch import enqueue_lifecycle_step
from vending.errors import InvalidTransition
from vending.models import AccountRequest, VendedAccount
from vending.notifications import notify_requester
from vending.selectors.lifecycle_plans import SUSPENDED_OU_PATH
from vending.services.account_access import access_sync_enqueue
from vending.services.account_placement import account_move, ou_id_required, parent_id_read
from vending.services.decommission import decommission_step
from vending.services.failure_reasons import AccountStepFailed
from vending.services.invitations import invitation_step
from vending.services.leases import lease_extend_step, leases_sweep
from vending.services.org_units import org_units_kept
from vending.services.provisioning import account_lease_release, account_lease_take
from vending.transitions import transition

logger = logging.getLogger(__name__)

# A chain's message may be delivered a little before its due time (clocks, rounding).
DUE_EARLY = timedelta(seconds=1)


def lifecycle_request_advance(
    *, request_id: int, gateway: OrganizationsGateway | None = None
) -> float | None:
    """Do the next step of an approved request about an existing account. Transient
    AWS errors propagate (the task retries them); a refusal fails the request with the
    reason in words. Returns a countdown to be called again, or None."""
    request = AccountRequest.objects.select_related("team", "target_account__request").get(
        pk=request_id
    )
    account = request.target_account
    if request.status != RequestStatus.PROVISIONING or account is None:
        return None
    lease = account_lease_take(account.pk)
    if lease is None:
        logger.info("Account %s is being worked on by another delivery", account.pk)
        return None
    if _not_due(account.pk):
        # A duplicate (the sync, the sweeper, a redelivery): the chain's own next look
        # comes when it is due; going on would start a second chain of looks.
        account_lease_release(account.pk, lease)
        return None
    countdown: float | None = None
    try:
        countdown = _step(request, account, get_gateway() if gateway is None else gateway)
    finally:
        # The next look is due after the countdown (None: nothing left to wait for, or
        # an error the task retries).
        due = None if countdown is None else timezone.now() + timedelta(seconds=countdown)
        account_lease_release(account.pk, lease, check_due_at=due)
    return countdown


def _not_due(account_pk: int) -> bool:
    """Its next look is scheduled later (read under the lease: fresh)."""
    due = VendedAccount.objects.filter(pk=account_pk).values_list("check_due_at", flat=True)[0]
    return due is not None and due > timezone.now() + DUE_EARLY


def _step(
    request: AccountRequest, account: VendedAccount, gw: OrganizationsGateway
) -> float | None:
    try:
        if request.kind == RequestKind.CHANGE_CLASS:
            class_change_step(request, account, gw)
        elif request.kind == RequestKind.DECOMMISSION:
            return decommission_step(request, account, gw)
        elif request.kind == RequestKind.INVITE:
            return invitation_step(request, account, gw)
        elif request.kind == RequestKind.EXTEND:
            lease_extend_step(request, account)
    except InvalidTransition:
        logger.info("Request %s changed under us; nothing to do", request.pk)
    except AccountStepFailed as exc:
        lifecycle_request_fail(request, reason=exc.reason)
    except PermanentAwsError as exc:
        lifecycle_request_fail(
            request, reason=f"AWS refused {exc.operation}: {exc.message} ({exc.code})."
        )
    return None


def class_change_step(
    request: AccountRequest, account: VendedAccount, gw: OrganizationsGateway
) -> None:
    """MoveAccount from where the account is (its kept OU id; ListParents only when AWS
    says that is wrong) into the new class's OU, then record the class and complete."""
    assert account.account_id is not None
    new_path = class_ou_path(request.compliance_class)
    if account.compliance_class == request.compliance_class and account.target_ou_path == new_path:
        _class_change_complete(request, account, previous=None, moved_from=None, target="")
        return
    kept = org_units_kept(paths=[new_path, account.target_ou_path, SUSPENDED_OU_PATH])
    target = kept.get(new_path) or ou_id_required(new_path, gw)
    source = account.ou_id or kept.get(account.target_ou_path) or ""
    if not source:
        source = parent_id_read(account_id=account.account_id, gw=gw)
    suspended = kept.get(SUSPENDED_OU_PATH)
    if account.target_ou_path == SUSPENDED_OU_PATH or (suspended and source == suspended):
        raise AccountStepFailed(
            "ACCOUNT_SUSPENDED", "The account is in SuspendedOU: it cannot change class."
        )
    moved_from, target = account_move(
        account_id=account.account_id, source=source, target=target, ou_path=new_path, gw=gw
    )
    previous = account.class_value or ""
    _class_change_complete(
        request, account, previous=previous, moved_from=moved_from, target=target
    )


def _class_change_complete(
    request: AccountRequest,
    account: VendedAccount,
    *,
    previous: str | None,
    moved_from: str | None,
    target: str,
) -> None:
    """Record the new class and OU and complete the request: one commit, so a second
    delivery finds either nothing done in the database or everything."""
    with transaction.atomic():
        transition(request, to=RequestStatus.COMPLETED, message="The account changed class.")
        if previous is not None:
            VendedAccount.objects.filter(pk=account.pk).update(
                compliance_class=request.compliance_class,
                target_ou_path=class_ou_path(request.compliance_class),
                ou_id=target,
            )
            account.refresh_from_db()
            if moved_from is not None:
                account_moved(account=account, from_parent_id=moved_from, to_parent_id=target)
            account_class_changed(account=account, previous=previous, request=request)
            access_sync_enqueue(account)  # the new class may map other permission sets
        notify_requester(request, RequestStatus.COMPLETED)


def lifecycle_request_fail(request: AccountRequest, *, reason: str) -> None:
    """The request ends failed, with why in words (shown on its page and in the API); an
    invitation not sent or not answered ends with it (its account id free again)."""
    account = request.target_account
    try:
        with transaction.atomic():
            transition(
                request,
                to=RequestStatus.FAILED,
                message=reason,
                fields={"decision_reason": reason},
            )
            invited = (AccountStatus.PENDING, AccountStatus.INVITED)
            if request.kind == RequestKind.INVITE and account and account.status in invited:
                transition(
                    account,
                    to=AccountStatus.CANCELLED,
                    message=reason,
                    fields={"failure_reason": reason, "is_active": False, "account_id": None},
                )
    except InvalidTransition:
        return


def lifecycle_sync() -> list[int]:
    """Periodic: remind and expire leases (`services.leases`), then look again at every
    invitation and decommission under way (handshakes answered, accounts AWS closed,
    queued invitations and closes now due); returns the requests looked at."""
    leases_sweep()
    waiting = [
        AccountStatus.PENDING,
        AccountStatus.INVITED,
        AccountStatus.SUSPENDED,
        AccountStatus.CLOSING,
    ]
    now = timezone.now()
    under_way = list(
        AccountRequest.objects.filter(
            kind__in=[RequestKind.DECOMMISSION, RequestKind.INVITE],
            status=RequestStatus.PROVISIONING,
            target_account__status__in=waiting,
        )
        # Only those whose next look is due: the others' chain looks at them itself.
        .filter(
            Q(target_account__check_due_at__isnull=True)
            | Q(target_account__check_due_at__lte=now + DUE_EARLY)
        )
        .values_list("pk", flat=True)
    )
    for pk in under_way:
        enqueue_lifecycle_step(pk)
    return under_way
