"""Decommissioning an account, one step per state, safe to repeat and to crash:

    ready -> suspended (moved into SuspendedOU: every action denied, at once)
          -> closing (CloseAccount asked; AWS: PENDING_CLOSURE) -> closed (AWS: SUSPENDED)
          -> removed (an invited account: RemoveAccountFromOrganization)

The management account is refused before any call that changes anything. CloseAccount
is not idempotent as AWS answers it, so the portal writes a marker before calling and,
finding the marker on a later run, reads the account (DescribeAccount) before calling
again. Past the close quota the account waits in SuspendedOU with the date it is
expected to close (`selectors.close_quota`). A removal repeated after a crash finds the
account gone (AccountNotFoundException) and counts as done.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vending.audit import account_moved
from vending.aws import OrganizationsGateway, PermanentAwsError
from vending.choices import AccountOrigin, AccountStatus, RequestStatus
from vending.models import AccountRequest, VendedAccount
from vending.notifications import notify_requester
from vending.selectors.close_quota import close_position, close_quota_read
from vending.selectors.lifecycle_plans import SUSPENDED_OU_PATH
from vending.services.account_access import access_remove_now
from vending.services.account_placement import account_move, ou_id_required, parent_id_read
from vending.services.account_setup import account_budget_retire
from vending.services.failure_reasons import AccountStepFailed
from vending.services.org_units import org_units_kept
from vending.transitions import transition

# How soon a closing account is read again (the periodic sync also looks).
CLOSE_POLL_SECONDS = 60.0
# A close held back by the quota is looked at again at least this often.
QUOTA_RECHECK_SECONDS = 3600.0
CLOSED_STATES = frozenset({"SUSPENDED", "CLOSED"})
GONE = frozenset({"AccountNotFoundException", "AccountNotFound"})
ALREADY_CLOSING = frozenset({"AccountAlreadyClosedException", "ConflictException"})


def decommission_step(
    request: AccountRequest, account: VendedAccount, gw: OrganizationsGateway
) -> float | None:
    """The next step for `account`; a countdown when it waits for AWS or the quota."""
    if account.status == AccountStatus.READY:
        _suspend(request, account, gw)
    if account.status == AccountStatus.SUSPENDED:
        access_remove_now(account)  # DeleteAccountAssignment before it is closed or removed
        if account.origin == AccountOrigin.INVITED:
            _remove(account, gw)
        else:
            wait = _close(account, gw)
            if wait is not None:
                return wait
    if account.status == AccountStatus.CLOSING:
        state = _aws_state(account, gw)
        if state not in CLOSED_STATES:
            # Every minute, or at each sync where it runs more often.
            return min(CLOSE_POLL_SECONDS, float(settings.VENDING_LIFECYCLE_SYNC_SECONDS))
        with transaction.atomic():
            transition(account, to=AccountStatus.CLOSED, message=f"AWS reports it {state}.")
    if account.status in (AccountStatus.CLOSED, AccountStatus.REMOVED):
        with transaction.atomic():
            transition(request, to=RequestStatus.COMPLETED, message=account.get_status_display())
            notify_requester(request, RequestStatus.COMPLETED)
    return None


def _suspend(request: AccountRequest, account: VendedAccount, gw: OrganizationsGateway) -> None:
    """Refuse the management account; move the account into SuspendedOU."""
    assert account.account_id is not None
    organization = gw.describe_organization()
    if organization is not None and organization.management_account_id == account.account_id:
        raise AccountStepFailed(
            "MANAGEMENT_ACCOUNT",
            "This is the organization's management account: it can never be closed or removed.",
        )
    kept = org_units_kept(paths=[SUSPENDED_OU_PATH, account.target_ou_path])
    target = kept.get(SUSPENDED_OU_PATH) or ou_id_required(SUSPENDED_OU_PATH, gw)
    source = account.ou_id or kept.get(account.target_ou_path) or ""
    if not source:
        source = parent_id_read(account_id=account.account_id, gw=gw)
    moved_from, target = account_move(
        account_id=account.account_id,
        source=source,
        target=target,
        ou_path=SUSPENDED_OU_PATH,
        gw=gw,
    )
    with transaction.atomic():
        transition(
            account,
            to=AccountStatus.SUSPENDED,
            message=f"Moved into {SUSPENDED_OU_PATH} (every action denied) for request "
            f"#{request.pk}.",
            fields={"ou_id": target, "target_ou_path": SUSPENDED_OU_PATH},
        )
        if moved_from is not None:
            account_moved(account=account, from_parent_id=moved_from, to_parent_id=target)
        account_budget_retire(account)  # nobody watches its spend any more


def _remove(account: VendedAccount, gw: OrganizationsGateway) -> None:
    assert account.account_id is not None
    try:
        gw.remove_account(account_id=account.account_id)
    except PermanentAwsError as exc:
        if exc.code not in GONE:  # gone: an earlier run removed it
            raise AccountStepFailed(exc.code or "AWS_ERROR", _refusal(exc)) from exc
    with transaction.atomic():
        transition(account, to=AccountStatus.REMOVED, message="Removed from the organization.")


def _close(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    """CloseAccount once, within the quota; a countdown while the quota holds it back."""
    assert account.account_id is not None
    asked = account.close_requested_at is not None
    if not asked or _aws_state(account, gw) == "ACTIVE":
        quota = close_quota_read()
        if not asked and quota.used >= quota.limit:
            return _wait_for_quota(account, quota.expected_on(position=close_position(account)))
        marker = timezone.now()
        VendedAccount.objects.filter(pk=account.pk).update(close_requested_at=marker)
        account.close_requested_at = marker
        try:
            gw.close_account(account_id=account.account_id)
        except PermanentAwsError as exc:
            if exc.code == "ConstraintViolationException" and "quota" in exc.message.lower():
                VendedAccount.objects.filter(pk=account.pk).update(close_requested_at=None)
                return _wait_for_quota(account, close_quota_read().expected_on())
            if exc.code not in ALREADY_CLOSING:
                raise AccountStepFailed(exc.code or "AWS_ERROR", _refusal(exc)) from exc
    with transaction.atomic():
        transition(
            account,
            to=AccountStatus.CLOSING,
            message="CloseAccount asked: PENDING_CLOSURE.",
            fields={"close_expected_on": None},
        )
    return None


def _wait_for_quota(account: VendedAccount, expected: date) -> float:
    """Stay in SuspendedOU; the page shows when the close is expected."""
    VendedAccount.objects.filter(pk=account.pk).update(close_expected_on=expected)
    account.close_expected_on = expected
    return QUOTA_RECHECK_SECONDS


def _aws_state(account: VendedAccount, gw: OrganizationsGateway) -> str:
    assert account.account_id is not None
    found = gw.describe_account(account_id=account.account_id)
    return found.state or found.status


def _refusal(exc: PermanentAwsError) -> str:
    return f"AWS refused {exc.operation}: {exc.message}"
