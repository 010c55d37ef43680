"""POST /api/v1/requests/preview/: what a request would create, without creating it."""

from __future__ import annotations

import pytest

from tests.api.helpers import error_of
from vending.aws import TransientAwsError
from vending.models import AccountRequest

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/preview/"
BODY = {"team": "checkout", "compliance_class": "hipaa_pci", "environments": ["prod", "dev"]}


def test_a_lead_previews_names_emails_ou_approvals_and_services(client_for, team, moto_gateway):
    response = client_for("lead").post(URL, BODY, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ou_path"] == "HipaaOU/HipaaPciOU"
    assert body["environments"] == ["dev", "prod"]
    assert body["approvals_required"] == 2
    assert [(a["name"], a["email"], a["conflict_request_id"]) for a in body["accounts"]] == [
        ("checkout-dev", "aws+checkout-dev@example.com", None),
        ("checkout-prod", "aws+checkout-prod@example.com", None),
    ]
    assert body["services_note"] is None
    services = body["services"]
    # SCPs intersect down the tree: HIPAA-eligible and PCI in scope, plus support prefixes.
    assert services["s3"] in {"allowed", "partial"}
    assert services["sts"] in {"allowed", "partial"}
    assert "denied" in services.values()
    assert not AccountRequest.objects.exists()


@pytest.mark.slow
def test_a_preview_names_the_request_holding_an_account(client_for, submit, moto_gateway):
    held = submit(cls="hipaa_pci", envs=("dev",))
    body = client_for("lead").post(URL, BODY, format="json").json()
    assert [a["conflict_request_id"] for a in body["accounts"]] == [held.pk, None]


def test_a_preview_still_answers_when_aws_does_not(client_for, team, monkeypatch):
    class Down:
        def root(self):
            raise TransientAwsError("connection refused", code="EndpointConnectionError")

    monkeypatch.setattr("vending.selectors.request_plans.get_gateway", lambda: Down())
    response = client_for("lead").post(URL, BODY, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["services"] is None
    assert "could not be read" in body["services_note"]


@pytest.mark.parametrize("role", ["lead2", "approver1", "nobody"])
def test_only_the_teams_leads_preview(client_for, team, role):
    response = client_for(role).post(URL, BODY, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"team": "nope"}, "team"),
        ({"compliance_class": "x"}, "compliance_class"),
        ({"environments": ["prod", "prod"]}, "environments"),
        ({"justification": "not taken here"}, "justification"),
    ],
)
def test_bad_preview_input_names_the_field(client_for, team, change, field):
    response = client_for("lead").post(URL, {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
