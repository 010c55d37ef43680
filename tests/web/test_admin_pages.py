"""The Django admin: teams, people and roles; the records read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from vending.choices import AuditAction
from vending.models import AuditEvent, Team

pytestmark = pytest.mark.django_db

# -- Django admin -------------------------------------------------------------------------


@pytest.fixture
def superuser(users):
    user = users["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/vending/team/",
        "/admin/vending/team/?q=lead&has_lead=yes",
        "/admin/vending/team/?has_lead=no",
        "/admin/auth/user/",
        "/admin/auth/user/?role=approver",
        "/admin/auth/user/?role=lead&q=lead",
        "/admin/auth/user/?role=admin",
        "/admin/auth/user/?role=none",
        "/admin/auth/group/",
        "/admin/auth/group/?q=approvers",
        "/admin/vending/accountrequest/",
        "/admin/vending/vendedaccount/",
        "/admin/vending/auditevent/",
        "/admin/vending/driftfinding/",
        "/admin/vending/driftscan/",
    ],
)
def test_admin_changelists_render(superuser, fleet, drift, path):
    assert superuser.get(path).status_code == 200


def test_admin_user_list_shows_roles_and_teams(superuser, fleet):
    response = superuser.get("/admin/auth/user/?role=lead")
    html = response.content.decode()
    assert "checkout" in html and "payments" in html
    assert list(response.context["cl"].result_list.values_list("username", flat=True)) == [
        "lead",
        "lead2",
    ]
    approvers = superuser.get("/admin/auth/user/?role=approver").context["cl"].result_list
    assert sorted(u.username for u in approvers) == ["approver1", "approver2"]


def test_admin_creates_a_team_with_leads_and_audits_it(superuser, users):
    response = superuser.post(
        "/admin/vending/team/add/",
        {"slug": "search", "name": "Search", "leads": [users["lead"].pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get(slug="search")
    assert list(team.leads.values_list("username", flat=True)) == ["lead"]
    event = AuditEvent.objects.get(action=AuditAction.TEAM_CREATED, team=team)
    assert event.actor == users["admin"] and event.data["leads"] == ["lead"]


def test_admin_group_members_are_edited_on_the_group(superuser, users):
    group = Group.objects.get(name="approvers")
    page = superuser.get(f"/admin/auth/group/{group.pk}/change/")
    assert page.status_code == 200
    assert {u.username for u in page.context["adminform"].form["members"].initial} == {
        "approver1",
        "approver2",
    }
    response = superuser.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "approvers", "members": [users["approver1"].pk, users["lead2"].pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(group.user_set.values_list("username", flat=True)) == ["approver1", "lead2"]


@pytest.mark.slow
def test_admin_portal_admins_manage_teams_but_mint_no_superusers(users, team):
    portal_admin = users["admin"]  # in the portal-admins group, not a superuser
    portal_admin.is_staff = True
    portal_admin.save()
    client = Client()
    client.force_login(portal_admin)
    assert client.get("/admin/vending/team/").status_code == 200
    assert client.get(f"/admin/vending/team/{team.pk}/change/").status_code == 200
    page = client.get(f"/admin/auth/user/{users['lead'].pk}/change/")
    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
    root = type(users["admin"]).objects.create_superuser("root", "root@example.com", "pw")
    # A superuser is only viewed, never changed, by a portal admin.
    view = client.get(f"/admin/auth/user/{root.pk}/change/")
    assert view.status_code == 200 and view.context["has_change_permission"] is False
    client.post(f"/admin/auth/user/{root.pk}/change/", {"username": "owned"})
    root.refresh_from_db()
    assert root.username == "root"


def test_portal_admins_reach_the_django_admin_without_the_staff_flag(users, web_client_for):
    assert not users["admin"].is_staff  # a portal admin by group membership only
    response = web_client_for("admin").get("/admin/vending/team/")
    assert response.status_code == 200
    assert web_client_for("approver1").get("/admin/").status_code == 302  # to the login


def test_admin_lists_name_objects_not_raw_ids(superuser, fleet):
    """A request reads "Request #2 (checkout, General)", not "#2 1 general test"."""
    request = fleet["general"]
    named = f"Request #{request.pk} (checkout, General)"
    for path in (
        "/admin/vending/accountrequest/",
        "/admin/vending/vendedaccount/",
        "/admin/vending/auditevent/",
    ):
        html = superuser.get(path).content.decode()
        assert named in html, path
        assert f"#{request.pk} {request.team_id} general" not in html, path
    approval = str(request.approvals.model(request=request, approver=request.requester))
    assert approval == f"lead approved request #{request.pk}"
