"""GET/POST /api/v1/teams/: approvers and admins read every team, leads theirs, others
none; admins create."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES
from tests.api.helpers import error_of
from vending.choices import AuditAction
from vending.models import AuditEvent, Team

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/"


CHECKOUT = {"slug": "checkout", "name": "Checkout", "leads": ["lead"], "idp_group": ""}
PAYMENTS = {"slug": "payments", "name": "Payments", "leads": ["lead2"], "idp_group": ""}
SEEN = {
    "approver1": [CHECKOUT, PAYMENTS],
    "approver2": [CHECKOUT, PAYMENTS],
    "admin": [CHECKOUT, PAYMENTS],
    "lead": [CHECKOUT],
    "lead2": [PAYMENTS],
    "nobody": [],
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_teams_it_may_see(client_for, team, other_team, role):
    response = client_for(role).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(SEEN[role])
    assert body["results"] == SEEN[role]


def test_an_admin_creates_a_team_with_leads(client_for, users):
    body = {"slug": "search", "name": "Search", "leads": ["lead", "lead2"]}
    response = client_for("admin").post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {**body, "idp_group": ""}
    team = Team.objects.get(slug="search")
    assert set(team.leads.values_list("username", flat=True)) == {"lead", "lead2"}
    event = AuditEvent.objects.get(action=AuditAction.TEAM_CREATED, team=team)
    assert event.actor == users["admin"]


def test_a_superuser_is_an_admin_too(client_for, users):
    users["nobody"].is_superuser = True
    users["nobody"].save()
    response = client_for("nobody").post(URL, {"slug": "s", "name": "S"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("role", ["lead", "approver1", "nobody"])
def test_only_admins_create_teams(client_for, users, role):
    response = client_for(role).post(URL, {"slug": "x", "name": "X"}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert not Team.objects.filter(slug="x").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "Bad Slug", "name": "X"}, "slug"),
        ({"slug": "ok", "name": "   "}, "name"),
        ({"slug": "ok", "name": "X", "leads": ["ghost"]}, "leads"),
        ({"slug": "ok", "name": "X", "colour": "red"}, "colour"),
        ({"name": "X"}, "slug"),
        ({"slug": "ok", "name": "X" * 101}, "name"),
        ({"slug": "ok", "name": "X", "leads": "lead"}, "leads"),
        ({"slug": "ok", "name": "X", "idp_group": "g" * 129}, "idp_group"),
        ({"slug": "ok", "name": "X", "idp_group": "tab\tgroup"}, "idp_group"),
    ],
)
def test_bad_team_input_names_the_field(client_for, users, body, field):
    response = client_for("admin").post(URL, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert field in error["fields"], error


def test_a_taken_slug_is_a_409(client_for, team):
    response = client_for("admin").post(URL, {"slug": "checkout", "name": "X"}, format="json")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_request"
    assert "slug" in error["fields"]


def test_an_admin_names_the_teams_idp_group(client_for, users):
    body = {"slug": "search", "name": "Search", "idp_group": "  aws-search  "}
    response = client_for("admin").post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["idp_group"] == "aws-search"
    assert Team.objects.get(slug="search").idp_group == "aws-search"
