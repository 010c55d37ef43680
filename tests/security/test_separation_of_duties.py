"""Separation of duties: nobody approves a request of a team they lead (nor their own);
a request that needs two approvals gets them from two distinct people outside the team.

Every way in is tried: the REST API, the web page and `manage.py request_approve`. The
queue and the notifications do not offer such requests to such approvers, and a
request nobody may approve says so. docs/security.md, "Separation of duties".
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from vending.choices import AuditAction, RequestStatus
from vending.models import AccountRequest, AuditEvent, Team
from vending.roles import APPROVERS_GROUP
from vending.services.requests import account_request_create

pytestmark = pytest.mark.django_db

# Who is who (tests/conftest.py `users`): `lead` leads `checkout`; approver1, approver2
# are approvers; admin is a portal admin. Here approver1 is made a co-lead of checkout.


@pytest.fixture
def co_lead(users, team):
    team.leads.add(users["approver1"])
    return users["approver1"]


def _submit(users, team, *, cls="hipaa", envs=("prod",), who="lead") -> AccountRequest:
    return account_request_create(
        requester=users[who],
        team=team,
        compliance_class=cls,
        environments=list(envs),
        justification="Claims service",
    )


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _approve(user: User, pk: int):
    return _api(user).post(f"/api/v1/requests/{pk}/approve/", {}, format="json")


def _unchanged(request: AccountRequest) -> None:
    """Still waiting, with no approval, no approval event, no account work."""
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert not request.approvals.exists()
    assert not AuditEvent.objects.filter(
        request=request, action=AuditAction.REQUEST_APPROVAL_ADDED
    ).exists()


# -- every way in refuses a lead ------------------------------------------------------------


def test_a_co_lead_approver_is_refused_by_the_api_and_nothing_changes(
    users, team, co_lead, django_capture_on_commit_callbacks
):
    """The issue's case: POST /api/v1/requests/{id}/approve/ by a co-lead approver of a
    hipaa prod request answered 202 and started provisioning."""
    request = _submit(users, team)
    assert request.approvals_required == 2
    with django_capture_on_commit_callbacks() as callbacks:
        response = _approve(co_lead, request.pk)
    assert response.status_code == 403, response.json()
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "You lead team 'checkout'" in error["message"]
    assert callbacks == []  # nothing enqueued: no provisioning, no e-mail
    _unchanged(request)


def test_a_co_lead_approver_is_refused_by_the_web_page(users, team, co_lead):
    request = _submit(users, team)
    response = _web(co_lead).post(f"/approvals/{request.pk}/approve/", {"comment": "fine"})
    assert response.status_code == 403
    assert "You lead team &#x27;checkout&#x27;" in response.content.decode()
    _unchanged(request)


def test_a_co_lead_approver_is_refused_by_the_command(users, team, co_lead):
    request = _submit(users, team)
    with pytest.raises(CommandError, match="You lead team 'checkout'"):
        call_command("request_approve", str(request.pk), "--as", co_lead.username)
    _unchanged(request)


def test_the_second_approval_cannot_come_from_a_lead(users, team, co_lead):
    request = _submit(users, team)
    first = _approve(users["approver2"], request.pk)
    assert first.status_code == 200
    assert first.json()["eligible_approvers"] == 1  # admin; approver1 leads the team
    refused = _approve(co_lead, request.pk)
    assert refused.status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert request.approvals.count() == 1
    final = _approve(users["admin"], request.pk)
    assert final.status_code == 202
    approvers = set(request.approvals.values_list("approver__username", flat=True))
    assert approvers == {"approver2", "admin"}
    assert not approvers & set(team.leads.values_list("username", flat=True))


def test_one_approver_never_gives_both_approvals(users, team):
    request = _submit(users, team)
    assert _approve(users["approver2"], request.pk).status_code == 200
    again = _approve(users["approver2"], request.pk)
    assert again.status_code == 409
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert request.approvals.count() == 1


def test_an_approval_stops_counting_when_its_approver_becomes_a_lead(users, team):
    """Approvals are counted when the last one is given: one from someone who has since
    been made a lead of the team is no approval from outside it."""
    request = _submit(users, team)
    assert _approve(users["approver2"], request.pk).status_code == 200
    team.leads.add(users["approver2"])
    second = _approve(users["admin"], request.pk)
    assert second.status_code == 200  # not 202: only one approval counts
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING_APPROVAL
    page = _web(users["lead"]).get(f"/requests/{request.pk}/").content.decode()
    assert "does not count: now leads team checkout" in page
    assert "Waiting for 1 more approval" in page
    outsider = User.objects.create_user("approver3", "approver3@example.com", "pw")
    outsider.groups.add(Group.objects.get(name=APPROVERS_GROUP))
    assert _approve(outsider, request.pk).status_code == 202


# -- what approvers are offered -------------------------------------------------------------


def test_the_queue_leaves_out_requests_of_teams_you_lead_and_says_why(users, team, co_lead):
    request = _submit(users, team)
    response = _web(co_lead).get("/approvals/")
    assert response.status_code == 200
    assert [r.pk for r, _age in response.context["rows"]] == []
    assert response.context["approvals_waiting"] == 0  # the navigation's count too
    html = response.content.decode()
    assert (
        "1 request of team you lead is not listed: an approver who does not lead the team "
        "must approve it." in html
    )
    # Someone outside the team is offered it, and told of nothing withheld.
    other = _web(users["approver2"]).get("/approvals/")
    assert [r.pk for r, _age in other.context["rows"]] == [request.pk]
    assert "not listed" not in other.content.decode()


def test_the_approval_page_tells_a_lead_why_they_cannot_approve(users, team, co_lead):
    request = _submit(users, team)
    response = _web(co_lead).get(f"/approvals/{request.pk}/")
    html = response.content.decode()
    assert response.context["state"].user_may_decide is False
    assert "You lead team &#x27;checkout&#x27;" in html
    assert f'action="/approvals/{request.pk}/approve/"' not in html
    assert f'action="/approvals/{request.pk}/reject/"' in html


@pytest.mark.django_db(transaction=True)
def test_approvers_who_lead_the_team_are_not_asked_to_approve(
    users, team, co_lead, task_queue, mailoutbox
):
    _submit(users, team)
    for name, args, _ in task_queue.messages:
        if name == "vending.outbox_send":
            task_queue.run_one(name, args)
    [mail] = mailoutbox
    assert "needs 2 approvals" in mail.subject
    assert sorted(mail.to) == ["admin@example.com", "approver2@example.com"]


# -- teams whose leads are approvers ----------------------------------------------------------


@pytest.fixture
def approvers_team(users):
    """Team `search`, led by both approvers."""
    search = Team.objects.create(slug="search", name="Search")
    search.leads.add(users["approver1"], users["approver2"])
    return search


def test_when_every_lead_is_an_approver_someone_else_approves(users, approvers_team):
    request = _submit(users, approvers_team, cls="general", envs=("dev",), who="approver1")
    assert (
        _api(users["approver1"]).get(f"/api/v1/requests/{request.pk}/").json()["eligible_approvers"]
        == 1
    )  # admin
    refused = _approve(users["approver2"], request.pk)
    assert refused.status_code == 403
    assert "You lead team 'search'" in refused.json()["error"]["message"]
    assert _approve(users["admin"], request.pk).status_code == 202


def test_a_request_nobody_may_approve_says_so(users, approvers_team):
    approvers_team.leads.add(users["admin"])
    request = _submit(users, approvers_team, cls="general", envs=("dev",), who="approver1")
    body = _api(users["approver1"]).get(f"/api/v1/requests/{request.pk}/").json()
    assert body["eligible_approvers"] == 0
    page = _web(users["approver1"]).get(f"/requests/{request.pk}/").content.decode()
    assert "No approver can approve this request" in page
    assert "An admin must add an approver who does not lead the team" in page
    # One approver from outside the team, and the request can go ahead again.
    outsider = User.objects.create_user("approver3", "approver3@example.com", "pw")
    outsider.groups.add(Group.objects.get(name=APPROVERS_GROUP))
    page = _web(users["approver1"]).get(f"/requests/{request.pk}/").content.decode()
    assert "can approve this request" not in page
    assert _approve(outsider, request.pk).status_code == 202


def test_too_few_approvers_for_two_approvals_says_so(users, approvers_team):
    request = _submit(users, approvers_team, who="approver1")  # hipaa prod: 2 approvals
    page = _web(users["approver2"]).get(f"/requests/{request.pk}/").content.decode()
    assert "Only 1 approver can still approve this request, and it needs 2 more" in page
    body = _api(users["approver2"]).get(f"/api/v1/requests/{request.pk}/").json()
    assert body["eligible_approvers"] == 1


# -- rejecting --------------------------------------------------------------------------------


def test_a_lead_may_still_reject_their_teams_request(users, team, co_lead):
    """The documented choice: a rejection grants nothing, so a lead who is an approver may
    stop their own team's request (the requester cancels instead)."""
    request = _submit(users, team)
    response = _api(co_lead).post(
        f"/api/v1/requests/{request.pk}/reject/", {"reason": "Wrong class"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "rejected"
    event = AuditEvent.objects.get(
        request=request, action=AuditAction.REQUEST_STATUS_CHANGED, to_status="rejected"
    )
    assert event.actor == co_lead
