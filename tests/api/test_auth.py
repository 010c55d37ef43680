"""Authentication: API tokens and the browser session; everything else is a 401."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from rest_framework.test import APIClient

from tests.api.helpers import error_of

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/teams/"),
    ("post", "/api/v1/teams/"),
    ("get", "/api/v1/requests/"),
    ("post", "/api/v1/requests/"),
    ("post", "/api/v1/requests/preview/"),
    ("get", "/api/v1/requests/1/"),
    ("post", "/api/v1/requests/1/approve/"),
    ("post", "/api/v1/requests/1/reject/"),
    ("post", "/api/v1/requests/1/cancel/"),
    ("get", "/api/v1/accounts/"),
    ("get", "/api/v1/accounts/123456789012/"),
    ("get", "/api/v1/accounts/123456789012/effective-policy/"),
    ("get", "/api/v1/org/"),
    ("get", "/api/v1/audit-events/"),
    ("get", "/api/v1/no-such-thing/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401_everywhere(anon, method, path):
    response = getattr(anon, method)(path, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS[:3])
def test_a_wrong_token_is_401(method, path, users):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = getattr(client, method)(path, {}, format="json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_basic_auth_is_not_an_api_credential(users):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"lead:pw").decode())
    response = client.get("/api/v1/teams/")
    assert response.status_code == 401


def test_create_api_token_makes_a_working_token(users, team):
    out = StringIO()
    call_command("create_api_token", "lead", stdout=out)
    key = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/teams/")
    assert response.status_code == 200
    assert response.json()["results"][0]["slug"] == "checkout"


def test_the_browser_session_works_and_enforces_csrf(users, team):
    client = APIClient(enforce_csrf_checks=True)
    # django-axes counts sign-ins per address: it needs the request.
    assert client.login(request=HttpRequest(), username="lead", password="pw")
    assert client.get("/api/v1/requests/").status_code == 200
    body = {
        "team": "checkout",
        "compliance_class": "general",
        "environments": ["dev"],
        "justification": "x",
    }
    response = client.post("/api/v1/requests/", body, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
