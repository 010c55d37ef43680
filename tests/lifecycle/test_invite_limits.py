"""The day's limit of invitations as AWS counts it: invitations the portal did not send
(an admin's, by hand) count too, so AWS may refuse one the portal thought it had room
for (HANDSHAKE_RATE_LIMIT_EXCEEDED). That invitation is queued until the day's oldest
invitation leaves AWS's window, as one past the portal's own count is, and is sent
then; the request does not fail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vending.choices import AccountStatus, RequestStatus
from vending.models import VendedAccount

from .test_decommission import control
from .test_invite import invite, standalone, step

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]


def test_an_invitation_aws_refuses_for_the_days_limit_waits_for_the_next_day(
    users, team, emulator_org, task_queue
):
    emulator_org.emulator.app.update_config({"invitations_per_day": 1})
    by_hand = emulator_org.invite_account(account_id=standalone(emulator_org, "byhand"))
    request = invite(users, team, standalone(emulator_org, "portal"))
    step(request, task_queue)
    request.refresh_from_db()
    account = VendedAccount.objects.get(pk=request.target_account_id)
    assert request.status == RequestStatus.PROVISIONING, request.decision_reason
    assert account.status == AccountStatus.PENDING
    assert account.invite_requested_at is None  # not sent: the portal's count is right
    # Expected when the invitation sent by hand leaves AWS's 24 hours.
    assert by_hand.requested_at is not None
    assert abs(account.invite_expected_at - (by_hand.requested_at + timedelta(days=1))) < (
        timedelta(seconds=5)
    )
    assert abs(account.check_due_at - account.invite_expected_at) < timedelta(seconds=5)
    # The next day (for AWS and for the portal) it is sent.
    control(emulator_org.emulator, "/clock", {"advance_days": 1})
    step(request, task_queue)
    account.refresh_from_db()
    assert account.status == AccountStatus.INVITED and account.invite_expected_at is None


def test_each_queued_invitation_shows_its_own_send_time(
    users, team, emulator_org, task_queue, settings
):
    settings.VENDING_INVITES_PER_DAY = 1
    first = invite(users, team, standalone(emulator_org, "first"))
    step(first, task_queue)
    sent = VendedAccount.objects.get(pk=first.target_account_id).invite_requested_at
    queued = [
        invite(users, team, standalone(emulator_org, name), env=env)
        for name, env in (("second", "test"), ("third", "qa"))
    ]
    for request in queued:
        step(request, task_queue)
    expected = [
        VendedAccount.objects.get(pk=r.target_account_id).invite_expected_at for r in queued
    ]
    # One a day: the second a day after the first, the third a day after the second.
    assert expected == [sent + timedelta(days=1), sent + timedelta(days=2)]
    assert emulator_org.stats()["calls"]["InviteAccountToOrganization"] == 1
