"""Provisioning one vended account, step by step, safe to repeat and to crash.

    pending -> creating -> placing -> ready
                  \\           \\
                   +-----------+--> failed

`provisioning_advance` looks at what is already true (stored ids, the account's state)
and does the next steps, one after the other in the same task as long as nothing needs
waiting for: no queue hop between creating and placing. It returns the countdown after
which it wants to be called again (a creation whose status is not due yet), or None:
the account is finished, waits for a creation slot (releasing a slot wakes it), or
another delivery of the task holds it. No database transaction is open during an AWS
call.

The normal path costs three Organizations calls, whatever the organization's size:
CreateAccount (with the tags), one status read when the creation is likely done, and
MoveAccount from the root into the OU whose id the portal keeps. Recovery after an
interrupted CreateAccount, accounts that are not where they should be and OUs that were
re-created pay for their own lookups: `account_creation`, `account_placement`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from vending.audit import Actor, account_retried
from vending.aws import OrganizationsGateway, PermanentAwsError, get_gateway
from vending.choices import ACCOUNT_TERMINAL, KINDS_LIFECYCLE, AccountStatus, RequestStatus
from vending.dispatch import enqueue_account_step, enqueue_lifecycle_step
from vending.errors import InvalidInput, InvalidTransition, PermissionDenied
from vending.models import AccountRequest, VendedAccount
from vending.naming import AccountIdentity, account_identity_validate
from vending.notifications import notify_account_failed, notify_requester
from vending.roles import is_admin
from vending.selectors.account_progress import account_progress
from vending.services.account_creation import creation_step
from vending.services.account_placement import placement_step
from vending.services.creation_slots import creation_slot_release
from vending.services.failure_reasons import (
    AccountStepFailed,
    account_error_fields,
    account_error_fields_of,
)
from vending.transitions import transition

logger = logging.getLogger(__name__)

# Steps one task runs back to back at most (pending -> creating -> placing -> ready
# takes four when AWS answers a creation at once).
MAX_STEPS_PER_RUN = 8


def provisioning_request_start(*, request_id: int) -> list[int]:
    """Enqueue every account of a provisioning request that is not finished."""
    request = AccountRequest.objects.get(pk=request_id)
    if request.status != RequestStatus.PROVISIONING:
        return []
    if request.kind in KINDS_LIFECYCLE:
        enqueue_lifecycle_step(request_id)  # vending/services/account_lifecycle.py
        return []
    pending = list(
        request.accounts.exclude(status__in=ACCOUNT_TERMINAL).values_list("pk", flat=True)
    )
    for pk in pending:
        enqueue_account_step(pk)
    if not pending:
        # A delivery after every account finished; otherwise the last one settles it.
        provisioning_request_settle(request_id=request_id)
    return pending


def provisioning_advance(
    *, account_id: int, gateway: OrganizationsGateway | None = None
) -> float | None:
    """Do the next steps for one account. Transient AWS errors propagate (to be retried).

    Under the account's lease: a second delivery of the task while one works on the
    account stops at once (the first carries on). A lease left by a worker that died
    expires after VENDING_CREATE_LEASE_SECONDS, and the sweeper enqueues the account.
    """
    gw = gateway or get_gateway()
    lease = account_lease_take(account_id)
    if lease is None:
        logger.info("Account %s is being worked on by another delivery", account_id)
        return None
    error: dict[str, object] = {}
    # The write that makes the account ready also ends its lease (no release of its own).
    released = False
    try:
        for _ in range(MAX_STEPS_PER_RUN):
            account = VendedAccount.objects.select_related("request__team", "owner").get(
                pk=account_id
            )
            countdown = _step(account, gw)
            released = account.lease_until is None
            if countdown != 0.0:
                return countdown
        return 0.0
    except DatabaseError:
        raise  # nothing to record it in
    except Exception as exc:
        # The task retries a transient error, the sweeper anything else: either way the
        # account shows what went wrong, written with the lease's release.
        error = account_error_fields_of(exc)
        raise
    finally:
        if not released:
            account_lease_release(account_id, lease, **error)


def account_lease_release(account_id: int, lease: datetime, **fields: object) -> None:
    VendedAccount.objects.filter(pk=account_id, lease_until=lease).update(
        lease_until=None, **fields
    )


def account_lease_take(account_id: int) -> datetime | None:
    """Take the account's lease (None: another delivery holds it); released by
    `account_lease_release`."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.VENDING_CREATE_LEASE_SECONDS)
    taken = VendedAccount.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=account_id
    ).update(lease_until=until)
    return until if taken else None


def _step(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    request = account.request
    if request is None or request.status != RequestStatus.PROVISIONING:
        return None  # only accounts created for a request are provisioned
    if request.kind in KINDS_LIFECYCLE:
        return None  # an invited account is never created (services.account_lifecycle)
    try:
        if account.status == AccountStatus.PENDING:
            # It becomes creating in the transaction that claims its creation slot.
            account_identity_validate(AccountIdentity(name=account.name, email=account.email))
        if account.status in (AccountStatus.PENDING, AccountStatus.CREATING):
            countdown = creation_step(account, gw)
            if countdown != 0.0 or account.status != AccountStatus.PLACING:
                return countdown
            # Created: the object is as the step wrote it, placed without reading it again.
        if account.status == AccountStatus.PLACING:
            placement_step(account, gw)
            _settle_if_last(request.pk)
    except InvalidTransition:
        # Another delivery of this task moved the account on; it carries on from there.
        logger.info("Account %s changed under us; nothing to do", account.pk)
    except AccountStepFailed as exc:
        _fail(account, code=exc.code, reason=exc.reason)
    except PermanentAwsError as exc:
        _fail(account, code=exc.code or "AWS_ERROR", reason=_permanent_reason(exc))
    except InvalidInput as exc:
        # The name or e-mail no longer meets AWS's rules (templates changed since).
        _fail(account, code="INVALID_IDENTITY", reason=exc.message)
    return None


def _permanent_reason(exc: PermanentAwsError) -> str:
    if exc.code in {"AccessDeniedException", "AccessDenied"}:
        return (
            f"The portal's AWS role may not call {exc.operation}. Grant it in the "
            f"management account's role policy, then retry. ({exc.message})"
        )
    if exc.code == "AWSOrganizationsNotInUseException":
        return "The AWS account the portal uses is not in an organization. Bootstrap it first."
    return f"AWS refused {exc.operation}: {exc.message} ({exc.code}). Fix the cause, then retry."


def _fail(account: VendedAccount, *, code: str, reason: str) -> None:
    creation_slot_release(account=account)
    try:
        with transaction.atomic():  # the e-mail exists exactly when the failure does
            transition(
                account,
                to=AccountStatus.FAILED,
                message=reason,
                fields={
                    "failure_code": code[:64],
                    "failure_reason": reason,
                    **account_error_fields(code=code, message=reason, transient=False),
                },
            )
            notify_account_failed(account)
    except InvalidTransition:
        return
    if account.request_id is not None:
        _settle_if_last(account.request_id)


def _settle_if_last(request_id: int) -> None:
    """Settle the request if no account of it is left unfinished. Each account looks
    after its own change has committed, so the last one to look sees every other one
    finished; the others skip the request's lock."""
    unfinished = VendedAccount.objects.filter(request_id=request_id).exclude(
        status__in=ACCOUNT_TERMINAL
    )
    if not unfinished.exists():
        provisioning_request_settle(request_id=request_id)


def provisioning_request_settle(*, request_id: int) -> AccountRequest:
    """Complete (or fail) a provisioning request once every account is finished."""
    with transaction.atomic():
        # Serialise the accounts finishing at the same moment, so the last one sees
        # all the others finished.
        request = AccountRequest.objects.select_for_update().get(pk=request_id)
        if request.status != RequestStatus.PROVISIONING:
            return request
        statuses = list(request.accounts.values_list("status", flat=True))
        if not statuses or any(s not in ACCOUNT_TERMINAL for s in statuses):
            return request
        failed = statuses.count(AccountStatus.FAILED)
        if failed:
            return transition(
                request,
                to=RequestStatus.FAILED,
                message=f"{failed} of {len(statuses)} accounts failed.",
            )
        request = transition(request, to=RequestStatus.COMPLETED, message="All accounts are ready.")
        notify_requester(request, RequestStatus.COMPLETED)
        return request


def provisioning_account_retry(*, account: VendedAccount, actor: Actor) -> VendedAccount:
    """An admin sends a failed account back to work (after fixing the cause), or queues a
    stalled one again at once instead of waiting for the sweeper ("retry now")."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can retry an account.")
    if account.request_id is None:
        raise InvalidTransition("Only accounts the portal creates can be retried.")
    with transaction.atomic():
        request = AccountRequest.objects.select_for_update().get(pk=account.request_id)
        account.refresh_from_db()
        account.request = request
        if account.status != AccountStatus.FAILED:
            return _retry_stalled(account, actor=actor)
        # The trail keeps the failure (and the `car-` id) that the retry clears.
        account_retried(actor=actor, account=account)
        transition(
            account,
            to=AccountStatus.PENDING,
            actor=actor,
            message="Retried by an admin.",
            fields={
                "failure_code": "",
                "failure_reason": "",
                "create_request_id": None,
                "create_requested_at": None,
                "check_due_at": None,
                "create_attempts": 0,
                "poll_count": 0,
                "adopted": False,
                "attempts": 0,
                "last_error_code": "",
                "last_error_message": "",
                "last_error_transient": None,
                "last_error_at": None,
            },
        )
        if request.status == RequestStatus.FAILED:
            transition(request, to=RequestStatus.PROVISIONING, actor=actor)
        enqueue_account_step(account.pk)
    return account


def _retry_stalled(account: VendedAccount, *, actor: Actor) -> VendedAccount:
    """Queue a stalled account's next step now. Its state stays as it is (a stored `car-`
    id, the write-ahead marker, a lease still held): the step itself knows what is already
    done, so nothing is created twice."""
    stalled = account_progress(account).stalled_reason
    if stalled is None:
        raise InvalidTransition(
            f"{account.name} is {account.get_status_display().lower()} and not stalled: only "
            "a failed account, or one without progress for "
            f"{settings.VENDING_STALLED_AFTER_SECONDS} s, can be retried."
        )
    account_retried(actor=actor, account=account, stalled_reason=stalled)
    enqueue_account_step(account.pk)
    return account
