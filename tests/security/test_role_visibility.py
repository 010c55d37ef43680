"""What a signed-in user sees of teams, the organization and the API's description, by
role: no role sees no team and no OU tree; a lead their teams and the tree without the
management account id; approvers and admins everything. The OpenAPI schema and Swagger
UI are behind sign-in unless VENDING_API_DOCS_PUBLIC. docs/security.md, "What a user
with no role sees".
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from vending.models import Team
from vending.roles import OPERATOR
from vending.selectors.teams import team_list_for

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class _NotToBeAsked:
    """A gateway whose use fails the test: a refused reader must not reach AWS."""

    def __getattr__(self, name: str):
        pytest.fail(f"AWS was asked ({name}) for someone who may not see the answer")


# -- teams ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        ("nobody", []),
        ("lead", ["checkout"]),
        ("lead2", ["payments"]),
        ("approver1", ["checkout", "payments"]),
        ("admin", ["checkout", "payments"]),
    ],
)
def test_teams_are_listed_to_those_who_need_them(users, team, other_team, role, seen):
    body = _api(users[role]).get("/api/v1/teams/").json()
    assert [t["slug"] for t in body["results"]] == seen
    assert body["count"] == len(seen)
    # Every reader goes through the QuerySet: the selector answers the same.
    assert [t.slug for t in team_list_for(user=users[role])] == seen


def test_no_role_learns_of_no_team_nor_its_leads(users, team, other_team):
    body = _api(users["nobody"]).get("/api/v1/teams/").content.decode()
    for secret in ("checkout", "payments", "lead2", '"lead"'):
        assert secret not in body


def test_the_operator_at_the_shell_sees_every_team(team, other_team):
    assert set(Team.objects.visible_to(OPERATOR).values_list("slug", flat=True)) == {
        "checkout",
        "payments",
    }


# -- the organization -----------------------------------------------------------------------


def test_no_role_gets_no_org_tree_and_aws_is_not_asked(users, monkeypatch):
    monkeypatch.setattr("vending.api.views.org.get_gateway", _NotToBeAsked)
    monkeypatch.setattr("vending.web.org.get_gateway", _NotToBeAsked)
    response = _api(users["nobody"]).get("/api/v1/org/")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "team leads, approvers and admins" in error["message"]
    page = _web(users["nobody"]).get("/org/")
    assert page.status_code == 403
    assert "team leads, approvers and admins" in page.content.decode()
    home = _web(users["nobody"]).get("/").content.decode()
    assert 'href="/org/"' not in home  # and the navigation does not offer it


def test_a_lead_sees_the_tree_without_the_management_account(users, team, moto_gateway):
    management = moto_gateway.describe_organization().management_account_id
    body = _api(users["lead"]).get("/api/v1/org/").json()
    assert body["management_account_id"] is None
    assert body["organization_id"].startswith("o-")
    assert {c["name"] for c in body["root"]["children"]} >= {"GeneralOU", "HipaaOU"}
    assert management not in str(body)
    page = _web(users["lead"]).get("/org/").content.decode()
    assert "GeneralOU" in page and management not in page


@pytest.mark.parametrize("role", ["approver1", "admin"])
def test_approvers_and_admins_see_the_whole_tree(users, moto_gateway, role):
    management = moto_gateway.describe_organization().management_account_id
    body = _api(users[role]).get("/api/v1/org/").json()
    assert body["management_account_id"] == management
    assert management in _web(users[role]).get("/org/").content.decode()


# -- the API's schema and Swagger UI --------------------------------------------------------


def test_the_schema_and_swagger_ui_are_behind_sign_in(users):
    anonymous = APIClient()
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 401
    assert schema.json()["error"]["code"] == "not_authenticated"
    assert b"/api/v1/requests/" not in schema.content
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == "/login/?next=/api/docs/"
    signed_in = _api(users["nobody"])
    assert signed_in.get("/api/schema/").status_code == 200
    assert signed_in.get("/api/docs/").status_code == 200


def test_an_api_token_reads_the_schema_too(users):
    from vending.services.api_tokens import api_token_create

    secret = api_token_create(user=users["nobody"], name="schema").secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/requests/" in response.json()["paths"]


def test_a_setting_makes_the_schema_and_swagger_ui_public(settings, db):
    settings.VENDING_API_DOCS_PUBLIC = True
    anonymous = APIClient()
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/requests/" in schema.json()["paths"]
    assert anonymous.get("/api/docs/").status_code == 200
