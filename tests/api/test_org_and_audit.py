"""GET /api/v1/org/ (leads, approvers and admins, live from AWS) and /api/v1/audit-events/."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES
from tests.api.helpers import error_of
from vending.aws import TransientAwsError

pytestmark = pytest.mark.django_db


def _walk(node):
    yield node
    for child in node["children"]:
        yield from _walk(child)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "nobody"])
def test_leads_approvers_and_admins_read_the_ou_tree(
    client_for, moto_gateway, team, other_team, role
):
    response = client_for(role).get("/api/v1/org/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["organization_id"].startswith("o-")
    # The management account id is for approvers and admins (docs/security.md).
    management = moto_gateway.describe_organization().management_account_id
    assert body["management_account_id"] == (None if role.startswith("lead") else management)
    root = body["root"]
    assert root["path"] == "" and root["account_count"] >= 1  # the management account
    nodes = {n["path"]: n for n in _walk(root)}
    assert {"GeneralOU", "HipaaOU", "HipaaOU/HipaaPciOU", "PciOU", "SuspendedOU"} <= set(nodes)
    hipaa_policies = {p["name"] for p in nodes["HipaaOU"]["policies"]}
    assert {"FullAWSAccess", "vending-class-hipaa"} <= hipaa_policies
    assert "vending-class-pci" in {p["name"] for p in nodes["HipaaOU/HipaaPciOU"]["policies"]}
    assert [c["name"] for c in root["children"]] == sorted(c["name"] for c in root["children"])


def test_the_tree_is_a_503_when_aws_does_not_answer(client_for, team, monkeypatch):
    class Down:
        def describe_organization(self):
            raise TransientAwsError("connection refused", code="EndpointConnectionError")

    monkeypatch.setattr("vending.api.views.org.get_gateway", lambda: Down())
    response = client_for("lead").get("/api/v1/org/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "aws_unavailable"


def test_the_tree_takes_no_parameters(client_for, users):
    response = client_for("lead").get("/api/v1/org/", {"depth": "2"})
    assert response.status_code == 400
    assert "depth" in error_of(response)["fields"]


# -- audit trail ----------------------------------------------------------------------------

AUDIT = "/api/v1/audit-events/"


@pytest.mark.parametrize("role", ["approver1", "admin"])
def test_approvers_and_admins_read_the_audit_trail(client_for, submit, task_queue, role):
    request = submit()
    client_for("approver2").post(f"/api/v1/requests/{request.pk}/approve/", {}, format="json")
    response = client_for(role).get(AUDIT)
    assert response.status_code == 200
    events = response.json()["results"]
    assert [e["action"] for e in events][:2] == ["request.submitted", "request.approval_added"]
    first = events[0]
    assert first["actor"] == "lead" and first["team"] == "checkout"
    assert first["request"] == request.pk and first["to_status"] == "pending_approval"
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


@pytest.mark.parametrize("role", ["lead", "lead2", "nobody"])
def test_others_are_refused_the_audit_trail(client_for, submit, role):
    submit()
    response = client_for(role).get(AUDIT, {"not": "even valid"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_the_audit_trail_filters(client_for, submit, other_team, task_queue):
    mine = submit()
    submit(who="lead2", on=other_team)
    client_for("approver1").post(f"/api/v1/requests/{mine.pk}/approve/", {}, format="json")
    client = client_for("admin")

    def actions(**query):
        response = client.get(AUDIT, query)
        assert response.status_code == 200, response.json()
        return [e["action"] for e in response.json()["results"]]

    assert actions(team="payments") == ["request.submitted"]
    assert actions(request=str(mine.pk), action="request.approval_added") == [
        "request.approval_added"
    ]
    assert actions(actor="approver1")[0] == "request.approval_added"
    assert actions(since="2999-01-01T00:00:00Z") == []
    assert len(actions(until="2999-01-01T00:00:00Z")) >= 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"action": "request.exploded"}, "action"),
        ({"request": "abc"}, "request"),
        ({"request": "0"}, "request"),
        ({"request": str(2**64)}, "request"),
        ({"since": "yesterday"}, "since"),
        ({"until": "9999-12-31T23:59:59-10:00"}, "until"),
        ({"who": "me"}, "who"),
    ],
)
def test_bad_audit_filters_are_400(client_for, users, query, field):
    response = client_for("approver1").get(AUDIT, query)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
