"""invite end to end against the emulator (handshakes as AWS has them): accepted (moved
into the class's OU and tagged), declined, canceled and expired (the request ends with
the reason in words), the day's limit (queued with its expected send time), an account
already in the organization refused before any call, a task delivered twice and a crash
right after InviteAccountToOrganization."""

from __future__ import annotations

import pytest

from vending.aws import OrganizationsGateway
from vending.choices import AccountStatus, RequestStatus
from vending.errors import DuplicateRequest
from vending.models import AccountRequest, VendedAccount
from vending.naming import TAG_PREFIX
from vending.services import account_lifecycle, invitations
from vending.services.lifecycle_requests import account_invite_request_create
from vending.services.org_units import org_units_kept

from .conftest import approve_all, next_look_due
from .test_change_class import ready_account_emulated
from .test_decommission import control

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]


def standalone(gateway, name: str) -> str:
    return str(
        control(gateway.emulator, "/accounts", {"name": name, "email": f"{name}@example.com"})[
            "account_id"
        ]
    )


def invite(users, team, account_id: str, env="dev", cls="hipaa") -> AccountRequest:
    request = account_invite_request_create(
        requester=users["lead"],
        team=team,
        compliance_class=cls,
        environment=env,
        account_id=account_id,
        justification="Bring the legacy account in",
    )
    approve_all(request, users)
    return request


def step(request, task_queue, times=1) -> None:
    """The request's next look (its countdown passed), delivered `times` times."""
    task_queue.messages.clear()
    next_look_due(request)
    for _ in range(times):
        task_queue.run_one("vending.lifecycle_request", (request.pk,))
    request.refresh_from_db()


def test_an_accepted_invitation_lands_in_the_class_ou_tagged(
    users, team, emulator_org: OrganizationsGateway, task_queue
):
    account_id = standalone(emulator_org, "legacy")
    request = invite(users, team, account_id)
    step(request, task_queue, times=2)  # delivered twice: one invitation
    account = request.target_account
    account.refresh_from_db()
    assert account.status == AccountStatus.INVITED and account.handshake_state == "OPEN"
    assert account.handshake_expires_at is not None
    control(emulator_org.emulator, f"/handshakes/{account.handshake_id}/accept")
    step(request, task_queue, times=2)
    account.refresh_from_db()
    assert (request.status, account.status) == (RequestStatus.COMPLETED, AccountStatus.READY)
    hipaa = org_units_kept(paths=["HipaaOU"])["HipaaOU"]
    assert emulator_org.list_parents(child_id=account_id)[0].id == hipaa
    tags = emulator_org.list_tags(resource_id=account_id)
    assert tags[f"{TAG_PREFIX}team"] == "checkout"
    assert tags[f"{TAG_PREFIX}compliance-class"] == "hipaa"
    assert account.name == "legacy" and account.email == "legacy@example.com"
    assert emulator_org.stats()["calls"]["InviteAccountToOrganization"] == 1


@pytest.mark.parametrize("ending", ["decline", "cancel", "expire"])
def test_an_invitation_that_ends_unanswered_ends_the_request_in_words(
    users, team, emulator_org, task_queue, ending
):
    account_id = standalone(emulator_org, f"x{ending}")
    request = invite(users, team, account_id)
    step(request, task_queue)
    account = request.target_account
    account.refresh_from_db()
    if ending == "decline":
        control(emulator_org.emulator, f"/handshakes/{account.handshake_id}/decline")
    elif ending == "cancel":
        emulator_org.cancel_handshake(handshake_id=account.handshake_id)
    else:
        control(emulator_org.emulator, "/clock", {"advance_days": 16})
    task_queue.messages.clear()
    next_look_due(request)
    account_lifecycle.lifecycle_sync()  # the periodic task
    task_queue.drain()
    request.refresh_from_db()
    account.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert (
        request.decision_reason
        == invitations.ENDED_IN_WORDS[
            {"decline": "DECLINED", "cancel": "CANCELED", "expire": "EXPIRED"}[ending]
        ]
    )
    assert account.status == AccountStatus.CANCELLED and not account.is_active
    # The account may be invited again.
    assert invite(users, team, account_id).status == RequestStatus.PROVISIONING


def test_past_the_days_limit_the_invitation_waits_with_its_send_time(
    users, team, emulator_org, task_queue, settings
):
    settings.VENDING_INVITES_PER_DAY = 1
    first = invite(users, team, standalone(emulator_org, "one"))
    step(first, task_queue)
    second = invite(users, team, standalone(emulator_org, "two"), env="test")
    step(second, task_queue)
    waiting = second.target_account
    waiting.refresh_from_db()
    sent = VendedAccount.objects.get(pk=first.target_account_id).invite_requested_at
    assert waiting.status == AccountStatus.PENDING
    assert waiting.invite_expected_at == sent + invitations_day()
    assert emulator_org.stats()["calls"]["InviteAccountToOrganization"] == 1


def invitations_day():
    from vending.selectors.invite_plans import DAY

    return DAY


def test_a_crash_right_after_the_invitation_adopts_its_handshake(
    users, team, emulator_org, task_queue, monkeypatch
):
    account_id = standalone(emulator_org, "crashy")
    request = invite(users, team, account_id)
    real = type(emulator_org).invite_account

    def invite_then_die(self, **kwargs):
        real(self, **kwargs)
        raise KeyboardInterrupt("worker killed after InviteAccountToOrganization")

    monkeypatch.setattr(type(emulator_org), "invite_account", invite_then_die)
    with pytest.raises(KeyboardInterrupt):
        step(request, task_queue)
    monkeypatch.setattr(type(emulator_org), "invite_account", real)
    VendedAccount.objects.filter(pk=request.target_account_id).update(lease_until=None)
    step(request, task_queue)
    account = VendedAccount.objects.get(pk=request.target_account_id)
    assert account.status == AccountStatus.INVITED and account.handshake_id
    assert emulator_org.stats()["calls"]["InviteAccountToOrganization"] == 1


@pytest.mark.slow
def test_an_account_already_in_the_organization_is_refused_before_any_call(
    users, team, emulator_org, task_queue
):
    member = ready_account_emulated(users, team, task_queue)
    with pytest.raises(DuplicateRequest) as refused:
        account_invite_request_create(
            requester=users["lead"],
            team=team,
            compliance_class="general",
            environment="qa",
            account_id=member.account_id,
            justification="Again",
        )
    assert "already in the organization" in refused.value.message
    assert "InviteAccountToOrganization" not in emulator_org.stats()["calls"]
