"""The OpenAPI contract: valid, complete, served locally, and true to real responses."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
import requests
import schemathesis
from django.core.management import call_command
from schemathesis.core.failures import FailureGroup

from vending.aws import TransientAwsError
from vending.choices import AccountStatus

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/teams/", "get"),
    ("/api/v1/teams/", "post"),
    ("/api/v1/teams/{slug}/spend/", "get"),
    ("/api/v1/requests/", "get"),
    ("/api/v1/requests/", "post"),
    ("/api/v1/requests/preview/", "post"),
    ("/api/v1/requests/{id}/", "get"),
    ("/api/v1/requests/{id}/approve/", "post"),
    ("/api/v1/requests/{id}/reject/", "post"),
    ("/api/v1/requests/{id}/cancel/", "post"),
    ("/api/v1/requests/{id}/accounts/{environment}/retry/", "post"),
    ("/api/v1/accounts/", "get"),
    ("/api/v1/accounts/{account_id}/", "get"),
    ("/api/v1/accounts/{account_id}/effective-policy/", "get"),
    ("/api/v1/accounts/{account_id}/team/", "post"),
    ("/api/v1/accounts/{account_id}/spend/", "get"),
    ("/api/v1/accounts/{account_id}/budget/", "put"),
    ("/api/v1/accounts/{account_id}/budget/", "patch"),
    ("/api/v1/accounts/{account_id}/setup/retry/", "post"),
    ("/api/v1/org/", "get"),
    ("/api/v1/org/plan/", "get"),
    ("/api/v1/audit-events/", "get"),
    ("/api/v1/webhooks/", "get"),
    ("/api/v1/webhooks/", "post"),
    ("/api/v1/webhooks/{id}/", "get"),
    ("/api/v1/webhooks/{id}/", "patch"),
    ("/api/v1/webhooks/{id}/", "delete"),
    ("/api/v1/webhooks/{id}/rotate/", "post"),
    ("/api/v1/webhooks/{id}/test/", "post"),
}


@pytest.fixture
def schema_dict(client_for) -> dict[str, Any]:
    response = client_for("nobody").get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    return json.loads(response.content)


def test_spectacular_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=StringIO()
    )
    assert "openapi: 3" in target.read_text()


def test_the_schema_describes_every_endpoint_and_error(schema_dict):
    found = {(path, method) for path, ops in schema_dict["paths"].items() for method in ops}
    assert found == OPERATIONS
    for path, method in OPERATIONS:
        responses = schema_dict["paths"][path][method]["responses"]
        for status in ("401", "429"):
            assert status in responses, (path, method, status)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
    codes = schema_dict["components"]["schemas"]["ErrorCodeEnum"]["enum"]
    assert {"invalid_transition", "duplicate_request", "idempotency_key_reused"} <= set(codes)
    create = schema_dict["paths"]["/api/v1/requests/"]["post"]
    assert {"201", "400", "403", "409", "415", "422"} <= set(create["responses"])
    assert "Location" in create["responses"]["201"]["headers"]
    approve = schema_dict["paths"]["/api/v1/requests/{id}/approve/"]["post"]
    assert "Location" in approve["responses"]["202"]["headers"]
    body = schema_dict["components"]["schemas"]["RequestCreateInput"]
    assert body["additionalProperties"] is False


def test_swagger_ui_is_served_without_a_cdn(client, users):
    client.force_login(users["nobody"])
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html


# -- real responses against the schema ------------------------------------------------------


@pytest.fixture
def validate(schema_dict):
    schema = schemathesis.openapi.from_dict(schema_dict)

    def check(response: Any, template: str, method: str) -> None:
        # validate_response checks bodies (and headers) of documented statuses only.
        documented = schema_dict["paths"][template][method]["responses"]
        assert str(response.status_code) in documented, (template, response.status_code)
        assert response["Content-Type"] == "application/json"
        prepared = requests.Request(method.upper(), f"http://testserver{template}").prepare()
        adapted = schemathesis.Response(
            status_code=response.status_code,
            headers={k: [v] for k, v in response.headers.items()},
            content=response.content,
            request=prepared,
            elapsed=0.0,
            verify=True,
        )
        try:
            schema[template][method.upper()].validate_response(adapted)
        except FailureGroup as exc:  # pragma: no cover - the message is the point
            pytest.fail(f"{method} {template} {response.status_code}: {exc}")

    return check


@pytest.mark.slow
@pytest.mark.serial
def test_real_responses_conform_to_the_schema(
    client_for, submit, other_team, moto_gateway, task_queue, validate, monkeypatch
):
    lead, approver, admin = client_for("lead"), client_for("approver1"), client_for("admin")
    lead2 = client_for("lead2")
    body = {
        "team": "checkout",
        "compliance_class": "hipaa",
        "environments": ["dev", "prod"],
        "justification": "x",
    }
    created = lead.post("/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    validate(created, "/api/v1/requests/", "post")
    replay = lead.post("/api/v1/requests/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    validate(replay, "/api/v1/requests/", "post")
    reused = lead.post(
        "/api/v1/requests/", {**body, "justification": "y"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert reused.status_code == 422
    validate(reused, "/api/v1/requests/", "post")
    pk = created.json()["id"]
    approve = f"/api/v1/requests/{pk}/approve/"
    validate(approver.post(approve, {}, format="json"), "/api/v1/requests/{id}/approve/", "post")
    again = approver.post(approve, {}, format="json")
    assert again.status_code == 409
    validate(again, "/api/v1/requests/{id}/approve/", "post")
    accepted = client_for("approver2").post(approve, {}, format="json")
    assert accepted.status_code == 202
    validate(accepted, "/api/v1/requests/{id}/approve/", "post")

    other = submit(cls="pci", envs=("qa",), who="lead2", on=other_team)
    for path, template in [
        (f"/api/v1/requests/{other.pk}/reject/", "/api/v1/requests/{id}/reject/"),
        (f"/api/v1/requests/{other.pk}/cancel/", "/api/v1/requests/{id}/cancel/"),
    ]:
        validate(approver.post(path, {"reason": "no"}, format="json"), template, "post")

    dev = other.accounts.get()
    dev.account_id, dev.status = (
        moto_gateway.describe_organization().management_account_id,
        (AccountStatus.READY),
    )
    dev.save()
    for client, path, template in [
        (lead, "/api/v1/teams/", "/api/v1/teams/"),
        (lead, "/api/v1/requests/", "/api/v1/requests/"),
        (lead, f"/api/v1/requests/{pk}/", "/api/v1/requests/{id}/"),
        (lead, "/api/v1/requests/999/", "/api/v1/requests/{id}/"),
        (admin, "/api/v1/accounts/", "/api/v1/accounts/"),
        (admin, "/api/v1/accounts/?page_size=9999", "/api/v1/accounts/"),
        (admin, f"/api/v1/accounts/{dev.account_id}/", "/api/v1/accounts/{account_id}/"),
        (
            admin,
            f"/api/v1/accounts/{dev.account_id}/effective-policy/",
            "/api/v1/accounts/{account_id}/effective-policy/",
        ),
        (
            admin,
            f"/api/v1/accounts/{dev.account_id}/effective-policy/?action=s3:GetObject",
            "/api/v1/accounts/{account_id}/effective-policy/",
        ),
        (lead, "/api/v1/teams/checkout/spend/", "/api/v1/teams/{slug}/spend/"),
        (lead2, "/api/v1/teams/checkout/spend/", "/api/v1/teams/{slug}/spend/"),
        (
            admin,
            f"/api/v1/accounts/{dev.account_id}/spend/",
            "/api/v1/accounts/{account_id}/spend/",
        ),
        (lead, "/api/v1/org/", "/api/v1/org/"),
        (client_for("nobody"), "/api/v1/org/", "/api/v1/org/"),
        (admin, "/api/v1/audit-events/", "/api/v1/audit-events/"),
        (lead, "/api/v1/audit-events/", "/api/v1/audit-events/"),
    ]:
        validate(client.get(path), template, "get")
    validate(
        lead.post("/api/v1/requests/preview/", body, format="json"),
        "/api/v1/requests/preview/",
        "post",
    )
    validate(
        admin.post("/api/v1/teams/", {"slug": "new", "name": "New"}, format="json"),
        "/api/v1/teams/",
        "post",
    )

    class Down:
        def describe_organization(self):
            raise TransientAwsError("down")

    monkeypatch.setattr("vending.api.views.org.get_gateway", lambda: Down())
    validate(lead.get("/api/v1/org/"), "/api/v1/org/", "get")
