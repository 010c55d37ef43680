"""The `creating` step: CreateAccount exactly once, and its status read when it is done.

**Exactly once.** CreateAccount takes no client token, so the portal keeps its own:

- the account's lease (`lease_until`, taken by `provisioning_advance` with a
  conditional UPDATE): of two deliveries of the task, only the lease holder works on the
  account, so only one calls CreateAccount (or looks for what an earlier attempt made);
- a write-ahead marker (`create_requested_at` while `create_request_id` is empty),
  committed in its own transaction just before the call, and the `car-` id, stored in
  its own transaction as soon as the answer arrives.

A delivery that finds the marker set and no id knows that an earlier attempt may have
reached AWS without its id being saved (its worker died, or AWS answered a 5xx or
timed out, after which it may have acted): before calling CreateAccount again it looks
for what that attempt made, a creation in progress under the account's name (one page
of ListCreateAccountStatus IN_PROGRESS: AWS allows 5 in progress), then an account with
its e-mail (ListAccounts, paged through the whole organization), and adopts it. Only
recovery pays for these lookups: an error that proves nothing was created (any 4xx,
throttling and refusals included; a connection that never opened) clears the marker.
The gateway never lets botocore repeat CreateAccount by itself.

**Status reads.** A creation's first status read is due when it is likely done: after
the median of how long AWS took (CompletedTimestamp - RequestedTimestamp) for the last
`VENDING_CREATE_DURATION_SAMPLES` creations the portal saw. With that history the first
read is one DescribeCreateAccountStatus, and usually the only one. Before the portal
has seen a creation finish, the first read comes after
`VENDING_CREATE_FIRST_CHECK_SECONDS`: by default right after CreateAccount's answer, in
the same task (one extra read per creation while there is no history, and no waiting
where creations take no time). A first read due within `INLINE_CHECK_SECONDS` is made at
once, in the task that called CreateAccount. A creation read before it is done (no
history yet, or slower than usual) is read again after a tenth of its age (at least 1 s
later), which finds its end within a tenth of its duration or a second. While several
creations are in flight such a read is one ListCreateAccountStatus(IN_PROGRESS) call
that answers for all of them (one page: at most 5 are in progress): the creations it
lists are marked on their slots, so their own re-reads until their next turn make no
call, and the ones it does not list have finished, so their reads are made due at once
and go straight to DescribeCreateAccountStatus. A finished creation has to be
described: its account id (or failure reason) is only there, because
ListCreateAccountStatus documents no order, and finding a finished creation in it would
mean paging through the organization's whole history.

When a creation leaves IN_PROGRESS its slot is released, which starts the account that
waited longest for one (`creation_slots`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vending.audit import account_adopted, account_create_requested
from vending.aws import AwsError, OrganizationsGateway
from vending.aws.types import CreateAccountState, CreateAccountStatus
from vending.choices import AccountStatus
from vending.dispatch import enqueue_account_step
from vending.models import VendedAccount
from vending.naming import account_tags
from vending.services.creation_slots import (
    creation_slot_claim,
    creation_slot_listing,
    creation_slot_release,
    creation_slots_claim_listing,
    creation_slots_record_listing,
    creations_in_flight,
)
from vending.services.creation_timing import (
    MIN_RECHECK_SECONDS,
    creation_age,
    creation_seconds_expected,
    creation_seconds_learned,
    first_check_countdown,
    recheck_countdown,
)
from vending.services.failure_reasons import (
    RETRYABLE_CREATE_FAILURES,
    AccountStepFailed,
    account_error_fields,
    failure_message,
)
from vending.transitions import transition

logger = logging.getLogger(__name__)

IN_PROGRESS = CreateAccountState.IN_PROGRESS
# AWS refuses a 6th CreateAccount in progress with this ConstraintViolation reason.
CREATION_RATE_LIMIT = "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"
RATE_LIMITED = (
    "AWS refused CreateAccount: 5 creations are in progress in the organization (some "
    "started outside the portal). The portal tries again when one is likely done."
)
# A first read due sooner than this is made at once, in the same task.
INLINE_CHECK_SECONDS = 0.1


def creation_step(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    """Create `account` (pending or creating) in AWS, or read how its creation goes.
    Returns the countdown to the next look, 0 to go on at once, or None to stop: the
    account waits for a slot (the next one released passes to it) or its read is not
    due (a duplicate delivery)."""
    if account.account_id:
        to_placing(account, account_id=account.account_id)
        return 0.0
    if account.create_request_id:
        return _check(account, gw)
    # An earlier attempt may have reached AWS without its id being saved.
    recovering = account.create_requested_at is not None
    # One commit: the account is creating, holds a slot and, unless it recovers first,
    # carries the write-ahead marker (written by the status change's UPDATE when there
    # is one). The slots stay locked until the commit, so a release that runs meanwhile
    # sees this account waiting, or this claim sees the slot it frees.
    with transaction.atomic():
        claimed = creation_slot_claim(account=account)
        marker = _marker_fields(account) if claimed and not recovering else {}
        if account.status == AccountStatus.PENDING:
            transition(account, to=AccountStatus.CREATING, fields=marker)
        elif marker:
            _mark(account, marker)
        if not claimed:
            return None
    if recovering:
        if _recover(account, gw):
            return 0.0
        _mark(account)
    return _create(account, gw)


def _marker_fields(account: VendedAccount) -> dict[str, object]:
    """The write-ahead marker: CreateAccount is about to be called."""
    return {"create_requested_at": timezone.now(), "create_attempts": account.create_attempts + 1}


def _mark(account: VendedAccount, fields: dict[str, object] | None = None) -> None:
    fields = fields or _marker_fields(account)
    VendedAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)


def _recover(account: VendedAccount, gw: OrganizationsGateway) -> bool:
    """Adopt what an earlier attempt made, if anything. In progress first, then the
    accounts: a creation that finishes between the two calls is seen by the second."""
    in_flight = next(
        (
            s
            for s in gw.list_create_account_status(states=[IN_PROGRESS])
            if s.account_name == account.name
        ),
        None,
    )
    if in_flight is not None:
        _store_request_id(account, in_flight, tags=None, check_in=0.0)
        return True
    existing = gw.find_account_by_email(email=account.email)
    if existing is not None:
        adopt(
            account,
            account_id=existing.id,
            how="an account with its e-mail is in the org",
            aws_created_at=existing.joined_at,
        )
        return True
    logger.info("%s: the interrupted CreateAccount made nothing; creating", account.name)
    return False


def _create(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    """Call CreateAccount; the write-ahead marker is committed (no transaction is open)."""
    tags = account_tags(account)
    attempts = account.create_attempts - 1  # before this one
    try:
        status = gw.create_account(name=account.name, email=account.email, tags=tags)
    except AwsError as exc:
        if exc.may_have_acted:
            raise  # the marker stays: the retry looks for what this call made
        limited = exc.reason == CREATION_RATE_LIMIT
        # The rate limit's refusal is recorded here (it does not reach the caller).
        error = (
            account_error_fields(code=CREATION_RATE_LIMIT, message=RATE_LIMITED, transient=True)
            if limited
            else {}
        )
        VendedAccount.objects.filter(pk=account.pk, create_request_id__isnull=True).update(
            create_requested_at=None, create_attempts=attempts, **error
        )
        if limited:
            return _rate_limited(gw)
        raise
    check_in = first_check_countdown()
    if check_in < INLINE_CHECK_SECONDS:
        check_in = 0.0  # creations take no time here, or no guess is set: read at once
    stored = _store_request_id(account, status, tags=tags, check_in=check_in)
    if status.state != IN_PROGRESS:
        return _finished(account, gw, status)  # answered at once (moto does)
    if stored and check_in == 0.0:
        # This creation's own description: a listing made now would only say what the
        # answer just said (in progress).
        return _describe(account, gw, timezone.now())
    return check_in


def _store_request_id(
    account: VendedAccount,
    status: CreateAccountStatus,
    *,
    tags: dict[str, str] | None,
    check_in: float,
) -> bool:
    """In its own short transaction, before anything else: from now on a retry reads
    this creation's status instead of creating a second account. `tags` None: the
    creation was found in progress, not created by this call. False when the account
    already had another creation's id (kept, and read from the database next)."""
    now = timezone.now()
    with transaction.atomic():
        stored = VendedAccount.objects.filter(pk=account.pk, create_request_id__isnull=True).update(
            create_request_id=status.request_id,
            poll_count=0,
            adopted=tags is None,
            check_due_at=now + timedelta(seconds=check_in),
            updated_at=now,
            last_progress_at=now,
        )
        if stored:
            account_create_requested(
                account=account, create_request_id=status.request_id, tags=tags
            )
        else:
            logger.error("%s: a second creation %s was made", account.name, status.request_id)
    account.create_request_id = status.request_id
    account.poll_count = 0
    account.check_due_at = now + timedelta(seconds=check_in)
    return bool(stored)


def _rate_limited(gw: OrganizationsGateway) -> float:
    """AWS refused the creation: 5 are in progress, some started outside the portal.
    Try again when the first of them is likely done; soon if none is left."""
    typical = creation_seconds_expected()
    now = timezone.now()
    due = [
        (s.requested_at - now).total_seconds() + typical
        for s in gw.list_create_account_status(states=[IN_PROGRESS])
        if s.requested_at is not None
    ]
    soonest = min(due, default=0.0)
    # Not sooner than a second (AWS may refuse again), not later than a typical creation.
    return min(max(soonest, MIN_RECHECK_SECONDS), max(typical, MIN_RECHECK_SECONDS))


def _check(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    """Read the creation's status, with as few calls as the creations in flight allow."""
    assert account.create_request_id is not None
    now = timezone.now()
    if account.check_due_at is not None and account.check_due_at > now:
        # Not due: a duplicate delivery (the read's own message comes when it is due).
        # Going on would start a second chain of reads; the sweeper finds a lost one.
        return None
    interval = recheck_countdown(account, now)
    listing = creation_slot_listing(account=account)
    if listing is not None:
        # Another creation's read listed the creations in flight: finished stays
        # finished, and "in progress" holds until this creation's next read is due.
        listed_at, in_progress = listing
        if in_progress and (now - listed_at).total_seconds() < interval:
            return _in_progress(account, now)
    # The first read comes when the creation is likely done (or right after the call,
    # before there is any history, when no first guess is set): its own description.
    likely_done = account.poll_count == 0 and (
        settings.VENDING_CREATE_FIRST_CHECK_SECONDS == 0 or creation_seconds_learned() is not None
    )
    if (listing is None or listing[1]) and not likely_done and creations_in_flight() > 1:
        if not creation_slots_claim_listing(now=now, fresh_for=interval):
            return _in_progress(account, now)  # another read is listing them right now
        listed = {s.request_id for s in gw.list_create_account_status(states=[IN_PROGRESS])}
        for pk in creation_slots_record_listing(in_progress=listed, listed_at=now):
            if pk != account.pk:
                _read_now(pk, now)
        if account.create_request_id in listed:
            return _in_progress(account, now)
    return _describe(account, gw, now)


def _describe(account: VendedAccount, gw: OrganizationsGateway, now: datetime) -> float | None:
    assert account.create_request_id is not None
    status = gw.describe_create_account_status(request_id=account.create_request_id)
    if status.state == IN_PROGRESS:
        return _in_progress(account, now)
    return _finished(account, gw, status)


def _read_now(account_pk: int, now: datetime) -> None:
    """A listing showed this creation finished: its read is due now, not at its turn."""
    if VendedAccount.objects.filter(pk=account_pk, check_due_at__gt=now).update(check_due_at=now):
        enqueue_account_step(account_pk)


def _in_progress(account: VendedAccount, now: datetime) -> float | None:
    timeout = settings.VENDING_CREATE_TIMEOUT_SECONDS
    if creation_age(account, now) > timeout:
        raise AccountStepFailed(
            "CREATE_TIMEOUT",
            failure_message(
                "CREATE_TIMEOUT", timeout=timeout // 60, request_id=account.create_request_id
            ),
        )
    countdown = recheck_countdown(account, now)
    # Only one chain of reads per account survives: a duplicate delivery that loses
    # this race stops here instead of reading in parallel forever. `updated_at` stays
    # when the id was stored: a listing of the creations in flight takes the ones it
    # does not list for finished only if their ids were stored before it (a read going
    # on meanwhile must not hide a finished creation from it); the sweeper knows a
    # waiting creation by `check_due_at`.
    if not VendedAccount.objects.filter(pk=account.pk, poll_count=account.poll_count).update(
        poll_count=account.poll_count + 1,
        check_due_at=now + timedelta(seconds=countdown),
        last_progress_at=now,  # AWS answered: the creation goes on
    ):
        return None
    return countdown


def _finished(
    account: VendedAccount, gw: OrganizationsGateway, status: CreateAccountStatus
) -> float | None:
    if status.state == CreateAccountState.SUCCEEDED and status.account_id:
        to_placing(
            account,
            account_id=status.account_id,
            seconds=_took(status),
            aws_created_at=status.completed_at,
        )
        return 0.0
    creation_slot_release(account=account)
    code = status.failure_reason or "UNKNOWN"
    if code == "EMAIL_ALREADY_EXISTS":
        # The e-mail's account may be in this organization (made outside the portal's
        # records): recovery pays for the lookup.
        existing = gw.find_account_by_email(email=account.email)
        if existing is not None:
            adopt(
                account,
                account_id=existing.id,
                how="the e-mail's account is in the org",
                aws_created_at=existing.joined_at,
            )
            return 0.0
    attempts = account.create_attempts
    if code in RETRYABLE_CREATE_FAILURES and attempts < settings.VENDING_CREATE_MAX_ATTEMPTS:
        message = (
            f"AWS failed the creation {status.request_id} ({code}); the portal creates the "
            f"account again (try {attempts} of {settings.VENDING_CREATE_MAX_ATTEMPTS})."
        )
        VendedAccount.objects.filter(pk=account.pk, create_request_id=status.request_id).update(
            create_request_id=None,
            create_requested_at=None,
            check_due_at=None,
            **account_error_fields(code=code, message=message, transient=True),
        )
        return float(min(settings.VENDING_POLL_MAX_COUNTDOWN, 2**attempts))
    raise AccountStepFailed(code, failure_message(code, email=account.email, attempts=attempts))


def adopt(
    account: VendedAccount, *, account_id: str, how: str, aws_created_at: datetime | None = None
) -> None:
    with transaction.atomic():
        account_adopted(account=account, aws_account_id=account_id, how=how)
        to_placing(account, account_id=account_id, adopted=True, aws_created_at=aws_created_at)


def to_placing(
    account: VendedAccount,
    *,
    account_id: str,
    seconds: float | None = None,
    adopted: bool | None = None,
    aws_created_at: datetime | None = None,
) -> None:
    """`aws_created_at`: when AWS finished creating the account (the status read's
    CompletedTimestamp) or when it joined (an adopted account's JoinedTimestamp)."""
    fields: dict[str, object] = {"account_id": account_id, "check_due_at": None}
    if aws_created_at is not None:
        fields["aws_created_at"] = aws_created_at
    if seconds is not None:
        fields["create_seconds"] = seconds
    if adopted is not None:
        fields["adopted"] = adopted
    with transaction.atomic():
        creation_slot_release(account=account)
        transition(account, to=AccountStatus.PLACING, fields=fields)


def _took(status: CreateAccountStatus) -> float | None:
    if status.requested_at is None or status.completed_at is None:
        return None
    return max(0.0, (status.completed_at - status.requested_at).total_seconds())
