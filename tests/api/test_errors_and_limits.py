"""One error envelope everywhere; rate limits per token; paging of big lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.helpers import error_of
from tests.factories import bulk_accounts
from vending.api.errors import api_exception_handler
from vending.errors import (
    DOMAIN_ERRORS,
    DuplicateRequest,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)
from vending.models import AccountRequest

pytestmark = pytest.mark.django_db


def test_an_unknown_path_is_a_json_404(client_for, users):
    response = client_for("lead").get("/api/v1/requests/1/approve/extra/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_a_path_without_its_slash_says_so(client_for, users):
    response = client_for("lead").post("/api/v1/requests", {}, format="json")
    assert response.status_code == 404
    assert "end with '/'" in error_of(response)["message"]


def test_a_wrong_method_is_a_405(client_for, users):
    response = client_for("lead").delete("/api/v1/teams/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_non_json_body_is_a_415(client_for, team):
    response = client_for("lead").post(
        "/api/v1/requests/", "team=checkout", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_asking_for_html_is_a_406(client_for, users):
    response = client_for("lead").get("/api/v1/teams/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert error_of(response)["code"] == "not_acceptable"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ("[" * 100_000 + "]" * 100_000, 400, "parse_error"),
        ('{"justification": "' + "x" * 3_000_000 + '"}', 413, "request_too_large"),
        ('{"team": NaN}', 400, "parse_error"),
        (b'{"team": "\xff"}', 400, "parse_error"),
        ('{"team": "\\ud800"}', 400, "invalid_input"),
        ('{"team": "checkout", "environments": [["dev"]]}', 400, "invalid_input"),
        ("", 400, "invalid_input"),
    ],
)
def test_pathological_bodies_are_4xx_not_500(client_for, team, payload, status, code):
    response = client_for("lead").post(
        "/api/v1/requests/", payload, content_type="application/json"
    )
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert not AccountRequest.objects.exists()


def test_nested_errors_name_the_item(client_for, team):
    body = {"team": "checkout", "compliance_class": "general", "justification": "x"}
    response = client_for("lead").post(
        "/api/v1/requests/", {**body, "environments": ["dev", "mars"]}, format="json"
    )
    assert error_of(response)["fields"]["environments"] == ['item 1: "mars" is not a valid choice.']


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        (InvalidInput, 400, "invalid_input"),
        (PermissionDenied, 403, "permission_denied"),
        (InvalidTransition, 409, "invalid_transition"),
        (DuplicateRequest, 409, "duplicate_request"),
    ],
)
def test_each_domain_error_has_one_status_and_code(kind, status, code):
    assert kind in DOMAIN_ERRORS
    response = api_exception_handler(kind("Not now."), {})
    assert response is not None
    assert response.status_code == status == kind.http_status
    assert response.data == {"error": {"code": code, "message": "Not now.", "fields": {}}}


def test_an_unexpected_error_is_still_the_envelope(client_for, users, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("vending.api.views.audit.audit_event_list_for", boom)
    response = client_for("admin").get("/api/v1/audit-events/")
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "bug" not in response.content.decode()


def test_the_rate_limit_is_per_token(client_for, users, settings):
    settings.VENDING_API_THROTTLE_USER = "3/min"
    lead, approver = client_for("lead"), client_for("approver1")
    assert [lead.get("/api/v1/teams/").status_code for _ in range(3)] == [200] * 3
    limited = lead.get("/api/v1/teams/")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert error_of(limited)["code"] == "throttled"
    assert approver.get("/api/v1/teams/").status_code == 200


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.parametrize("role", ["admin", "lead"])
def test_10000_accounts_are_served_page_by_page_in_constant_queries(client_for, users, team, role):
    bulk_accounts(team=team, requester=users["lead"], count=10_000)
    client = client_for(role)
    client.get("/api/v1/teams/")  # authenticate once so token lookups are not counted apart
    counts, seen = [], []
    for page in (1, 2, 20):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/accounts/", {"page": page, "page_size": 500})
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 10_000 and len(body["results"]) == 500
        seen.append([a["account_id"] for a in body["results"]])
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2] <= 6, counts
    assert seen[0][0] == "000000000000" and seen[2][-1] == "000000009999"  # ordered by id
    assert body["next"] is None and body["previous"].endswith("page=19&page_size=500")


@pytest.mark.slow
def test_request_lists_are_constant_in_queries_too(
    client_for, users, team, django_assert_max_num_queries
):
    bulk_accounts(team=team, requester=users["lead"], count=600)
    client = client_for("approver1")
    client.get("/api/v1/teams/")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/requests/", {"page_size": 500}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/requests/", {"page": 2, "page_size": 500}).status_code == 200
