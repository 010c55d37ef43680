"""E-mails go out after the commit, through a task, to the right people."""

import pytest

from vending.models import Notification
from vending.services.requests import (
    account_request_approve,
    account_request_create,
    account_request_reject,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sent(task_queue, mailoutbox):
    """Deliver the queued outbox runs; return {subject: recipients}."""
    for name, args, _ in list(task_queue.messages):
        if name == "vending.outbox_send":
            task_queue.run_one(name, args)
    task_queue.messages[:] = [m for m in task_queue.messages if m[0] != "vending.outbox_send"]
    out = {m.subject: sorted(m.to) for m in mailoutbox}
    mailoutbox.clear()
    return out


def submit(users, team, cls="hipaa", envs=("prod",)):
    return account_request_create(
        requester=users["lead"], team=team, compliance_class=cls,
        environments=list(envs), justification="<b>PHI</b> pipeline",
    )  # fmt: skip


def test_approvers_hear_of_a_waiting_request_and_the_requester_of_each_decision(
    users, team, task_queue, mailoutbox
):
    request = submit(users, team)
    mails = sent(task_queue, mailoutbox)
    [subject] = mails
    assert f"Request #{request.pk} (checkout, HIPAA) needs 2 approvals" in subject
    assert mails[subject] == ["admin@example.com", "approver1@example.com", "approver2@example.com"]

    account_request_approve(request=request, approver=users["approver1"])
    mails = sent(task_queue, mailoutbox)
    # Only those who can still give the missing approval are asked.
    assert list(mails.values()) == [["admin@example.com", "approver2@example.com"]]

    account_request_approve(request=request, approver=users["approver2"])
    mails = sent(task_queue, mailoutbox)
    assert mails == {
        f"[account vending] Request #{request.pk} approved: accounts are being created": [
            "lead@example.com"
        ]
    }


def test_rejection_reaches_the_requester_with_the_reason(users, team, task_queue, mailoutbox):
    request = submit(users, team, "general", ["dev"])
    sent(task_queue, mailoutbox)
    account_request_reject(request=request, actor=users["approver1"], reason="Use the sandbox")
    assert list(sent(task_queue, mailoutbox).values()) == [["lead@example.com"]]
    assert "Reason: Use the sandbox" in Notification.objects.get(kind="request_rejected").body


def test_completion_and_failures_reach_the_requester(
    users, team, moto_gateway, task_queue, mailoutbox
):
    from vending.models import VendedAccount

    request = submit(users, team, "general", ["dev", "prod"])
    account_request_approve(request=request, approver=users["approver1"])
    VendedAccount.objects.filter(request=request, environment="dev").update(email="bad")
    task_queue.drain()
    subjects = [m.subject for m in mailoutbox]
    assert any("Account checkout-dev could not be created" in s for s in subjects)
    mailoutbox.clear()

    ok = submit(users, team, "pci", ["qa"])
    account_request_approve(request=ok, approver=users["approver2"])
    task_queue.drain()
    subjects = [m.subject for m in mailoutbox]
    assert f"[account vending] Request #{ok.pk} completed: your accounts are ready" in subjects


def test_a_requester_who_no_longer_leads_the_team_is_not_told(users, team, task_queue, mailoutbox):
    """Recipients go through the same visibility as the pages: an e-mail never points
    someone at a request they can no longer open."""
    request = submit(users, team)
    sent(task_queue, mailoutbox)
    team.leads.remove(users["lead"])
    account_request_reject(request=request, actor=users["approver1"], reason="Not now")
    assert sent(task_queue, mailoutbox) == {}


def test_recipients_are_who_may_open_the_request_in_one_query(users, team, other_team):
    """`_who_may_see` is the pages' visibility rule the other way round: for every kind
    of user it names exactly those `visible_to` lets open the request (an inactive user
    gets no e-mail), and it asks once however many they are."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vending.models import AccountRequest
    from vending.notifications import _who_may_see

    request = submit(users, team)
    make = get_user_model().objects.create_user
    root = make("root", "root@example.com", is_superuser=True)
    other_lead = make("other-lead", "other-lead@example.com")
    other_team.leads.add(other_lead)
    gone = make("gone", "gone@example.com", is_active=False)
    team.leads.add(gone)
    everyone = [*users.values(), root, other_lead, gone]

    with CaptureQueriesContext(connection) as queries:
        told = _who_may_see(everyone, request)
    assert len(queries) == 1
    expected = [
        u.email
        for u in everyone
        if u.email
        and u.is_active
        and AccountRequest.objects.visible_to(u).filter(pk=request.pk).exists()
    ]
    assert sorted(told) == sorted(expected)
    assert "root@example.com" in told and users["lead"].email in told
    assert not {"other-lead@example.com", "gone@example.com", "nobody@example.com"} & set(told)
