"""Inviting an existing AWS account, one step per state, safe to repeat and to crash:

    pending (approved; queued while the day's 20 invitations are spent)
      -> invited (InviteAccountToOrganization: the handshake is open)
      -> placing (ACCEPTED: moved from the root into its class's OU, tagged) -> ready
      -> cancelled (DECLINED, CANCELED or EXPIRED: the request fails, the reason in words)

An account the organization already holds is refused before the invitation is sent.
The invitation is not idempotent (a repeat is a DuplicateHandshakeException and counts
towards the day's limit), so a marker is written first and a later run that finds it
without a handshake looks for the open handshake it may have made before inviting again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vending.audit import account_tagged
from vending.aws import OrganizationsGateway, PermanentAwsError
from vending.aws.types import Handshake, HandshakeState
from vending.choices import AccountStatus, RequestStatus
from vending.models import AccountRequest, VendedAccount
from vending.naming import account_tags
from vending.notifications import notify_requester
from vending.selectors.invite_plans import DAY, invite_send_time, invites_queued
from vending.services.account_access import access_sync_enqueue
from vending.services.account_placement import account_move, ou_id_required
from vending.services.failure_reasons import AccountStepFailed
from vending.services.org_units import ROOT_PATH, org_root_id, org_units_kept
from vending.transitions import transition

# AWS's refusal of an invitation past its day's limit (HandshakeConstraintViolationException).
RATE_LIMITED = "HANDSHAKE_RATE_LIMIT_EXCEEDED"
ENDED_IN_WORDS = {
    HandshakeState.DECLINED: "The account's owner declined the invitation.",
    HandshakeState.CANCELED: "The invitation was canceled from the management account.",
    HandshakeState.EXPIRED: "Nobody answered the invitation within 15 days: it expired.",
}


def invitation_step(
    request: AccountRequest, account: VendedAccount, gw: OrganizationsGateway
) -> float | None:
    """The next step of an invitation; a countdown while it waits (queue, handshake)."""
    if account.status == AccountStatus.PENDING:
        wait = _invite(account, gw)
        if wait is not None:
            return wait
    if account.status == AccountStatus.INVITED:
        handshake = gw.describe_handshake(handshake_id=account.handshake_id)
        _handshake_record(account, handshake)
        if handshake.state in (HandshakeState.OPEN, HandshakeState.REQUESTED):
            return float(settings.VENDING_LIFECYCLE_SYNC_SECONDS)
        if handshake.state != HandshakeState.ACCEPTED:
            reason = ENDED_IN_WORDS.get(handshake.state, f"The invitation ended {handshake.state}.")
            with transaction.atomic():
                transition(
                    account,
                    to=AccountStatus.CANCELLED,
                    message=reason,
                    # The account id is free for a later invitation.
                    fields={"failure_reason": reason, "is_active": False, "account_id": None},
                )
                transition(
                    request,
                    to=RequestStatus.FAILED,
                    message=reason,
                    fields={"decision_reason": reason},
                )
            return None
        with transaction.atomic():
            transition(account, to=AccountStatus.PLACING, message="The invitation was accepted.")
    if account.status == AccountStatus.PLACING:
        _place(request, account, gw)
    return None


def _invite(account: VendedAccount, gw: OrganizationsGateway) -> float | None:
    target = account.account_id or ""
    if account.invite_requested_at is not None:
        found = _open_handshake_for(account, gw)
        if found is not None:
            _invited(account, found)
            return None
    if target:  # "already in the organization" is refused before any invitation
        try:
            member = gw.describe_account(account_id=target)
        except PermanentAwsError:
            member = None
        if member is not None:
            raise AccountStepFailed(
                "ALREADY_IN_ORGANIZATION",
                f"Account {target} is already in the organization: it cannot be invited.",
            )
    now = timezone.now()
    # In the queue's order: approved invitations submitted before it and not sent go first.
    send_at = invite_send_time(now=now, position=invites_queued(before=account.pk))
    if account.invite_requested_at is None and send_at > now:
        VendedAccount.objects.filter(pk=account.pk).update(invite_expected_at=send_at)
        account.invite_expected_at = send_at
        return max(1.0, (send_at - now).total_seconds())
    VendedAccount.objects.filter(pk=account.pk).update(invite_requested_at=now)
    account.invite_requested_at = now
    try:
        handshake = gw.invite_account(
            account_id=target or None,
            email=None if target else account.email,
            notes=f"Invitation for team {account.owner_team} ({account.environment}).",
        )
    except PermanentAwsError as exc:
        if exc.reason == RATE_LIMITED:
            return _wait_for_aws_day(account, gw, now)
        raise AccountStepFailed(
            exc.code or "AWS_ERROR", f"AWS refused the invitation: {exc.message}"
        ) from exc
    _invited(account, handshake)
    return None


def _wait_for_aws_day(account: VendedAccount, gw: OrganizationsGateway, now: datetime) -> float:
    """AWS counts invitations the portal did not send (an admin's, by hand): this one was
    not sent, so it waits, queued, until the oldest of AWS's day leaves it (an hour when
    AWS lists none)."""
    sent = sorted(
        h.requested_at
        for h in gw.list_handshakes()
        if h.requested_at is not None and h.requested_at > now - DAY
    )
    expected = sent[0] + DAY if sent else now + timedelta(hours=1)
    VendedAccount.objects.filter(pk=account.pk).update(
        invite_requested_at=None, invite_expected_at=expected
    )
    account.invite_requested_at, account.invite_expected_at = None, expected
    return max(1.0, (expected - now).total_seconds())


def _invited(account: VendedAccount, handshake: Handshake) -> None:
    with transaction.atomic():
        transition(
            account,
            to=AccountStatus.INVITED,
            message=f"Invitation {handshake.id} sent; open until {handshake.expires_at}.",
            fields={
                "handshake_id": handshake.id,
                "handshake_state": handshake.state.value,
                "handshake_expires_at": handshake.expires_at,
                "invite_expected_at": None,
            },
        )


def _open_handshake_for(account: VendedAccount, gw: OrganizationsGateway) -> Handshake | None:
    wanted = (account.account_id or account.email).casefold()
    return next(
        (
            h
            for h in gw.list_handshakes()
            if h.target.casefold() == wanted and h.state == HandshakeState.OPEN
        ),
        None,
    )


def _handshake_record(account: VendedAccount, handshake: Handshake) -> None:
    if account.handshake_state != handshake.state.value:
        VendedAccount.objects.filter(pk=account.pk).update(handshake_state=handshake.state.value)
        account.handshake_state = handshake.state.value


def _place(request: AccountRequest, account: VendedAccount, gw: OrganizationsGateway) -> None:
    """Joined (it starts under the root): learn its id and e-mail, move it into its
    class's OU, tag it, ready; the request completes."""
    if not account.account_id:
        member = gw.find_account_by_email(email=account.email)
        if member is None:
            raise AccountStepFailed("NOT_FOUND", "The accepted account is not in the organization.")
        VendedAccount.objects.filter(pk=account.pk).update(account_id=member.id)
        account.account_id = member.id
    member = gw.describe_account(account_id=account.account_id)
    kept = org_units_kept(paths=[account.target_ou_path, ROOT_PATH])
    target = kept.get(account.target_ou_path) or ou_id_required(account.target_ou_path, gw)
    source = kept.get(ROOT_PATH) or org_root_id(gateway=gw)
    _, target = account_move(
        account_id=account.account_id,
        source=source,
        target=target,
        ou_path=account.target_ou_path,
        gw=gw,
    )
    tags = account_tags(account)
    gw.tag_resource(resource_id=account.account_id, tags=tags)
    with transaction.atomic():
        account_tagged(account=account, tags=tags)
        transition(
            account,
            to=AccountStatus.READY,
            message=f"Joined; ready in {account.target_ou_path}.",
            fields={
                "ou_id": target,
                "email": member.email,
                "name": member.name[:50] or account.name,
                "completed_at": timezone.now(),
            },
        )
        transition(request, to=RequestStatus.COMPLETED, message="The account joined.")
        access_sync_enqueue(account)  # the team's group gets in (Identity Center)
        notify_requester(request, RequestStatus.COMPLETED)
