"""Provisioning one vended account, step by step, safe to repeat and to crash.

Each call of `provisioning_advance` looks at what is already true (stored ids, the
organization's accounts, the account's parent) and does the next step only:

    pending -> creating -> placing -> ready
                  \\           \\
                   +-----------+--> failed

It returns the countdown after which it wants to be called again, or None when there
is nothing more to do. No database transaction is open during an AWS call.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vending.audit import (
    Actor,
    account_adopted,
    account_create_requested,
    account_moved,
    account_retried,
    account_tagged,
)
from vending.aws import OrganizationsGateway, PermanentAwsError, get_gateway
from vending.aws.types import CreateAccountState, CreateAccountStatus
from vending.choices import ACCOUNT_TERMINAL, AccountStatus, RequestStatus
from vending.dispatch import enqueue_account_step
from vending.errors import InvalidInput, InvalidTransition, PermissionDenied
from vending.models import AccountRequest, VendedAccount
from vending.naming import AccountIdentity, account_identity_validate, account_tags
from vending.notifications import notify_account_failed, notify_requester
from vending.roles import is_admin
from vending.services.creation_slots import creation_slot_claim, creation_slot_release
from vending.services.failure_reasons import RETRYABLE_CREATE_FAILURES, failure_message
from vending.transitions import transition

logger = logging.getLogger(__name__)

# Seconds to wait before looking again when all creation slots are taken, or when
# another delivery of the same task holds the CreateAccount lease.
SLOT_WAIT_SECONDS = 5.0
# AWS refuses a 6th CreateAccount in progress with this ConstraintViolation reason.
CREATION_RATE_LIMIT = "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"
CREATION_RATE_LIMIT_WAIT_SECONDS = 15.0
# MoveAccount errors that mean the account moved between ListParents and MoveAccount.
MOVED_MEANWHILE = frozenset({"DuplicateAccountException", "SourceParentNotFoundException"})


def poll_countdown(poll_count: int) -> float:
    """Backoff between DescribeCreateAccountStatus checks: 1, 2, 4, ... capped."""
    return float(min(settings.VENDING_POLL_MAX_COUNTDOWN, 2 ** max(0, min(poll_count - 1, 10))))


def provisioning_request_start(*, request_id: int) -> list[int]:
    """Enqueue every account of a provisioning request that is not finished."""
    request = AccountRequest.objects.get(pk=request_id)
    if request.status != RequestStatus.PROVISIONING:
        return []
    pending = list(
        request.accounts.exclude(status__in=ACCOUNT_TERMINAL).values_list("pk", flat=True)
    )
    for pk in pending:
        enqueue_account_step(pk)
    provisioning_request_settle(request_id=request_id)
    return pending


def provisioning_advance(
    *, account_id: int, gateway: OrganizationsGateway | None = None
) -> float | None:
    """Do the next step for one account. Transient AWS errors propagate (to be retried)."""
    gw = gateway or get_gateway()
    account = VendedAccount.objects.select_related("request__team").get(pk=account_id)
    if account.request.status != RequestStatus.PROVISIONING:
        return None
    try:
        if account.status == AccountStatus.PENDING:
            account_identity_validate(AccountIdentity(name=account.name, email=account.email))
            account = transition(account, to=AccountStatus.CREATING)
        if account.status == AccountStatus.CREATING:
            return _create_or_poll(account, gw)
        if account.status == AccountStatus.PLACING:
            return _place(account, gw)
    except InvalidTransition:
        # Another delivery of this task moved the account on; it carries on from there.
        logger.info("Account %s changed under us; nothing to do", account_id)
        return None
    except PermanentAwsError as exc:
        _fail(account, code=exc.code or "AWS_ERROR", reason=_permanent_reason(exc))
        return None
    except InvalidInput as exc:
        # The name or e-mail no longer meets AWS's rules (templates changed since).
        _fail(account, code="INVALID_IDENTITY", reason=exc.message)
        return None
    return None


def _create_or_poll(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    if account.account_id:
        _to_placing(account, account_id=account.account_id)
        return 0.0
    if account.create_request_id:
        return _poll(account, gw, account.create_request_id)

    # Before creating, look for what an earlier, interrupted run may have left.
    existing = gw.find_account_by_email(email=account.email)
    if existing is not None:
        _adopt(account, account_id=existing.id, how="an account with this e-mail exists")
        return 0.0
    in_flight = _in_flight_creation(account, gw)
    if in_flight is not None:
        _store_request_id(account, in_flight.request_id)
        return 0.0

    if not creation_slot_claim(account=account):
        VendedAccount.objects.filter(pk=account.pk).update(updated_at=timezone.now())
        return SLOT_WAIT_SECONDS
    if not _take_create_lease(account):
        return SLOT_WAIT_SECONDS
    try:
        status = gw.create_account(
            name=account.name, email=account.email, tags=account_tags(account)
        )
    except Exception as exc:
        # Nothing was created (or the in-flight check adopts it next time): let the
        # retry take the lease again at once, and do not count the attempt.
        VendedAccount.objects.filter(pk=account.pk).update(
            create_requested_at=None, create_attempts=account.create_attempts
        )
        if isinstance(exc, PermanentAwsError) and exc.reason == CREATION_RATE_LIMIT:
            # Creations started outside the portal fill AWS's 5 slots: wait our turn.
            return CREATION_RATE_LIMIT_WAIT_SECONDS
        raise
    _store_request_id(account, status.request_id)
    return 0.0


def _in_flight_creation(
    account: VendedAccount, gw: OrganizationsGateway
) -> CreateAccountStatus | None:
    # CreateAccount takes no client token; a run that died between the call and saving
    # the `car-` id left a creation in progress under this account's name.
    return next(
        (
            s
            for s in gw.list_create_account_status(states=[CreateAccountState.IN_PROGRESS])
            if s.account_name == account.name
        ),
        None,
    )


def _take_create_lease(account: VendedAccount) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.VENDING_CREATE_LEASE_SECONDS)
    return bool(
        VendedAccount.objects.filter(
            Q(create_requested_at__isnull=True) | Q(create_requested_at__lt=stale),
            pk=account.pk,
            status=AccountStatus.CREATING,
            create_request_id__isnull=True,
        ).update(create_requested_at=now, create_attempts=account.create_attempts + 1)
    )


def _store_request_id(account: VendedAccount, request_id: str) -> None:
    # Its own short transaction, before anything else: a retry polls this id
    # instead of creating a second account.
    with transaction.atomic():
        stored = VendedAccount.objects.filter(pk=account.pk, create_request_id__isnull=True).update(
            create_request_id=request_id, poll_count=0, updated_at=timezone.now()
        )
        if stored:
            account_create_requested(account=account, create_request_id=request_id)


def _poll(account: VendedAccount, gw: OrganizationsGateway, request_id: str) -> float | None:
    status = gw.describe_create_account_status(request_id=request_id)
    if status.state == CreateAccountState.IN_PROGRESS:
        started = account.create_requested_at or account.created_at
        timeout = settings.VENDING_CREATE_TIMEOUT_SECONDS
        if timezone.now() - started > timedelta(seconds=timeout):
            _fail(
                account,
                code="CREATE_TIMEOUT",
                reason=failure_message(
                    "CREATE_TIMEOUT", timeout=timeout // 60, request_id=request_id
                ),
            )
            return None
        polls = account.poll_count + 1
        # Only one polling chain per account survives: a duplicate delivery that
        # loses this race stops here instead of polling in parallel forever.
        if not VendedAccount.objects.filter(pk=account.pk, poll_count=account.poll_count).update(
            poll_count=polls, updated_at=timezone.now()
        ):
            return None
        return poll_countdown(polls)

    creation_slot_release(account=account)
    if status.state == CreateAccountState.SUCCEEDED and status.account_id:
        _to_placing(account, account_id=status.account_id)
        return 0.0

    code = status.failure_reason or "UNKNOWN"
    if code == "EMAIL_ALREADY_EXISTS":
        # Our own earlier creation (whose id was lost in a crash) may own the e-mail.
        existing = gw.find_account_by_email(email=account.email)
        if existing is not None:
            _adopt(account, account_id=existing.id, how="the e-mail's account is in the org")
            return 0.0
    if code in RETRYABLE_CREATE_FAILURES and (
        account.create_attempts < settings.VENDING_CREATE_MAX_ATTEMPTS
    ):
        VendedAccount.objects.filter(pk=account.pk, create_request_id=request_id).update(
            create_request_id=None, create_requested_at=None, updated_at=timezone.now()
        )
        return poll_countdown(account.create_attempts + 1)
    _fail(
        account,
        code=code,
        reason=failure_message(code, email=account.email, attempts=account.create_attempts),
    )
    return None


def _adopt(account: VendedAccount, *, account_id: str, how: str) -> None:
    account_adopted(account=account, aws_account_id=account_id, how=how)
    _to_placing(account, account_id=account_id)


def _to_placing(account: VendedAccount, *, account_id: str) -> None:
    creation_slot_release(account=account)
    transition(account, to=AccountStatus.PLACING, fields={"account_id": account_id})


def _place(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    assert account.account_id is not None
    ou = gw.find_organizational_unit(path=account.target_ou_path)
    if ou is None:
        _fail(
            account,
            code="OU_NOT_FOUND",
            reason=failure_message("OU_NOT_FOUND", ou_path=account.target_ou_path),
        )
        return None
    parents = gw.list_parents(child_id=account.account_id)
    current = parents[0].id if parents else ""
    if current != ou.id:
        try:
            gw.move_account(
                account_id=account.account_id,
                source_parent_id=current,
                destination_parent_id=ou.id,
            )
        except PermanentAwsError as exc:
            if exc.code in MOVED_MEANWHILE:
                return 0.0  # someone moved it between our two calls: look again
            raise
        account_moved(account=account, from_parent_id=current, to_parent_id=ou.id)
    tags = account_tags(account)
    gw.tag_resource(resource_id=account.account_id, tags=tags)
    account_tagged(account=account, tags=tags)
    transition(
        account,
        to=AccountStatus.READY,
        message=f"Ready in {account.target_ou_path}.",
        fields={"ou_id": ou.id, "completed_at": timezone.now()},
    )
    provisioning_request_settle(request_id=account.request_id)
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
        transition(
            account,
            to=AccountStatus.FAILED,
            message=reason,
            fields={"failure_code": code[:64], "failure_reason": reason},
        )
    except InvalidTransition:
        return
    notify_account_failed(account)
    provisioning_request_settle(request_id=account.request_id)


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
    """An admin sends a failed account back to work (after fixing the cause)."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can retry a failed account.")
    with transaction.atomic():
        request = AccountRequest.objects.select_for_update().get(pk=account.request_id)
        # The trail keeps the failure (and the `car-` id) that the retry clears.
        account.refresh_from_db()
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
                "create_attempts": 0,
                "poll_count": 0,
            },
        )
        if request.status == RequestStatus.FAILED:
            transition(request, to=RequestStatus.PROVISIONING, actor=actor)
        enqueue_account_step(account.pk)
    return account
