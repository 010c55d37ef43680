"""/api/v1/requests/: submit, list, read, approve, reject, cancel, for every role."""

from __future__ import annotations

import pytest

from tests.api.conftest import ROLES
from tests.api.helpers import error_of
from vending.choices import RequestStatus
from vending.models import AccountRequest

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/"
BODY = {
    "team": "checkout",
    "compliance_class": "hipaa_pci",
    "environments": ["prod", "dev"],
    "justification": "Claims service",
}


def test_a_lead_submits_a_request(client_for, team):
    response = client_for("lead").post(URL, BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_approval"
    assert response["Location"] == f"/api/v1/requests/{body['id']}/"
    assert body["team"] == "checkout" and body["requester"] == "lead"
    assert body["environments"] == ["dev", "prod"]
    assert body["approvals_required"] == 2 and body["approvals"] == []
    assert body["accounts"] == [
        {
            "environment": env,
            "name": f"checkout-{env}",
            "email": f"aws+checkout-{env}@example.com",
            "account_id": None,
            "ou_path": "HipaaOU/HipaaPciOU",
            "status": "pending",
            "failure_reason": None,
            "attempts": 0,
            "last_error": None,
            "last_progress_at": None,
            "stalled": False,
            "stalled_reason": None,
            "budget": None,
            # What its life after creation adds (no lease, not invited, not closing).
            "origin": "created",
            "expires_on": None,
            "handshake_id": "",
            "handshake_state": "",
            "handshake_expires_at": None,
            "invite_expected_at": None,
            "close_expected_on": None,
        }
        for env in ("dev", "prod")
    ]
    assert body["expires_on"] is None and body["target_account"] is None
    assert AccountRequest.objects.get(pk=body["id"]).requester.username == "lead"


@pytest.mark.parametrize("role", ["lead2", "approver1", "admin", "nobody"])
def test_only_the_teams_leads_submit(client_for, team, role):
    response = client_for(role).post(URL, BODY, format="json")
    assert response.status_code == 403
    assert "checkout" in error_of(response)["message"]
    assert not AccountRequest.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"team": "nope"}, "team"),
        ({"compliance_class": "sox"}, "compliance_class"),
        ({"environments": []}, "environments"),
        ({"environments": ["dev", "staging"]}, "environments"),
        ({"environments": ["dev", "dev"]}, "environments"),
        ({"environments": "dev"}, "environments"),
        ({"justification": "   "}, "justification"),
        ({"justification": "x" * 4001}, "justification"),
        ({"justificaton": "typo"}, "justificaton"),
        ({"team": 5}, "team"),
        ({"team": None}, "team"),
        ({"justification": "a\x00b"}, "justification"),
    ],
)
def test_bad_request_input_names_the_field(client_for, team, change, field):
    response = client_for("lead").post(URL, {**BODY, **change}, format="json")
    assert response.status_code == 400, response.json()
    assert field in error_of(response)["fields"]
    assert not AccountRequest.objects.exists()


@pytest.mark.parametrize("payload", ['["a list"]', '"text"', "42", "null", "{bad json"])
def test_a_body_that_is_not_an_object_is_a_400(client_for, team, payload):
    response = client_for("lead").post(URL, payload, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] in {"invalid_input", "parse_error"}


def test_the_same_accounts_twice_is_a_409(client_for, team):
    client = client_for("lead")
    first = client.post(URL, BODY, format="json").json()
    response = client.post(URL, BODY, format="json")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "duplicate_request"
    assert f"#{first['id']}" in error["message"]


def test_lists_are_scoped_to_what_each_role_may_see(client_for, team, other_team, submit):
    mine = submit()
    theirs = submit(who="lead2", on=other_team)
    seen = {role: [r["id"] for r in client_for(role).get(URL).json()["results"]] for role in ROLES}
    assert seen["lead"] == [mine.pk]
    assert seen["lead2"] == [theirs.pk]
    for role in ("approver1", "approver2", "admin"):
        assert seen[role] == [theirs.pk, mine.pk]  # newest first
    assert seen["nobody"] == []


def test_the_list_filters_by_team_and_status(client_for, team, other_team, submit):
    mine = submit()
    submit(who="lead2", on=other_team)
    client = client_for("approver1")
    assert [r["id"] for r in client.get(URL, {"team": "checkout"}).json()["results"]] == [mine.pk]
    assert client.get(URL, {"status": "completed"}).json()["count"] == 0
    response = client.get(URL, {"status": "done"})
    assert response.status_code == 400 and "status" in error_of(response)["fields"]
    response = client.get(URL, {"colour": "red"})
    assert response.status_code == 400 and "colour" in error_of(response)["fields"]


def test_reading_a_request(client_for, submit):
    request = submit()
    for role in ("lead", "approver1", "admin"):
        response = client_for(role).get(f"{URL}{request.pk}/")
        assert response.status_code == 200
        assert response.json()["id"] == request.pk


@pytest.mark.parametrize("role", ["lead2", "nobody"])
def test_a_request_you_may_not_see_is_404(client_for, other_team, submit, role):
    request = submit()
    for path in ("", "approve/", "reject/", "cancel/"):
        client = client_for(role)
        response = (client.post if path else client.get)(
            f"{URL}{request.pk}/{path}", {"reason": "x"}, format="json"
        )
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert AccountRequest.objects.get(pk=request.pk).status == RequestStatus.PENDING_APPROVAL


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999999999999999", "1.5", "%C3%A9"])
def test_a_malformed_id_is_404(client_for, raw):
    response = client_for("admin").get(f"{URL}{raw}/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_one_approval_starts_a_general_request(client_for, submit, task_queue):
    request = submit()
    response = client_for("approver1").post(
        f"{URL}{request.pk}/approve/", {"comment": "ok"}, format="json"
    )
    assert response.status_code == 202
    assert response["Location"] == f"/api/v1/requests/{request.pk}/"
    body = response.json()
    assert body["status"] == "provisioning"
    [approval] = body["approvals"]
    assert approval["approver"] == "approver1" and approval["comment"] == "ok"
    assert approval["created_at"]


def test_regulated_prod_needs_two_distinct_approvers(client_for, submit, task_queue):
    request = submit(cls="hipaa", envs=("prod",))
    url = f"{URL}{request.pk}/approve/"
    first = client_for("approver1").post(url, {}, format="json")
    assert first.status_code == 200
    assert first.json()["status"] == "pending_approval"
    assert not first.has_header("Location")
    again = client_for("approver1").post(url, {}, format="json")
    assert again.status_code == 409
    assert error_of(again)["code"] == "duplicate_request"
    second = client_for("approver2").post(url, {"comment": "second"}, format="json")
    assert second.status_code == 202
    assert [a["approver"] for a in second.json()["approvals"]] == ["approver1", "approver2"]


def test_an_approver_cannot_approve_their_own_request(client_for, users, team, submit):
    team.leads.add(users["approver1"])
    request = submit(who="approver1")
    response = client_for("approver1").post(f"{URL}{request.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert "own request" in error_of(response)["message"]


@pytest.mark.parametrize("role", ["lead", "nobody"])
def test_non_approvers_cannot_approve(client_for, users, team, submit, role):
    team.leads.add(users["nobody"])
    request = submit()
    response = client_for(role).post(f"{URL}{request.pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_approving_a_closed_request_is_a_409(client_for, submit):
    request = submit()
    assert (
        client_for("lead").post(f"{URL}{request.pk}/cancel/", {}, format="json").status_code == 200
    )
    response = client_for("approver1").post(f"{URL}{request.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert error_of(response)["code"] == "invalid_transition"


def test_approve_rejects_unknown_fields(client_for, submit):
    request = submit()
    response = client_for("approver1").post(
        f"{URL}{request.pk}/approve/", {"comment": "x", "force": True}, format="json"
    )
    assert response.status_code == 400
    assert "force" in error_of(response)["fields"]
    assert AccountRequest.objects.get(pk=request.pk).approvals.count() == 0


def test_an_approver_rejects_with_a_reason(client_for, submit):
    request = submit()
    url = f"{URL}{request.pk}/reject/"
    missing = client_for("approver1").post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in error_of(missing)["fields"]
    response = client_for("approver1").post(
        url, {"reason": "Use the shared account"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected"
    assert body["decision_reason"] == "Use the shared account"
    again = client_for("approver2").post(url, {"reason": "x"}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize("role", ["lead", "nobody"])
def test_only_approvers_reject(client_for, users, team, submit, role):
    team.leads.add(users["nobody"])
    request = submit()
    response = client_for(role).post(f"{URL}{request.pk}/reject/", {"reason": "x"}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_the_requester_or_an_admin_cancels(client_for, submit, role):
    request = submit()
    response = client_for(role).post(
        f"{URL}{request.pk}/cancel/", {"reason": "plan changed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = client_for(role).post(f"{URL}{request.pk}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert error_of(again)["code"] == "invalid_transition"


def test_another_lead_of_the_team_cannot_cancel(client_for, users, team, submit):
    team.leads.add(users["lead2"])
    request = submit()
    response = client_for("lead2").post(f"{URL}{request.pk}/cancel/", {}, format="json")
    assert response.status_code == 403
    response = client_for("approver1").post(f"{URL}{request.pk}/cancel/", {}, format="json")
    assert response.status_code == 403


def test_every_field_error_is_answered_at_once(client_for, team):
    """An unknown field, class, environment and team and an empty justification: one
    answer names them all, in the error envelope, and nothing is created."""
    body = {
        "team": "nope",
        "compliance_class": "sox",
        "environments": ["dev", "staging"],
        "justification": "",
        "enviroments": ["dev"],
    }
    response = client_for("lead").post(URL, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert sorted(error["fields"]) == [
        "compliance_class",
        "enviroments",
        "environments",
        "justification",
        "team",
    ]
    assert error["fields"]["enviroments"] == ["Unknown field: this API does not take it."]
    assert "staging" in error["fields"]["environments"][0]
    assert error["fields"]["team"] == ["There is no team 'nope'."]
    assert error["message"] == (
        "The input is not valid: compliance_class, enviroments, environments, justification, team."
    )
    assert not AccountRequest.objects.exists()


def test_an_unknown_field_alone_is_still_refused(client_for, team):
    response = client_for("lead").post(URL, {**BODY, "force": True}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"force": ["Unknown field: this API does not take it."]}
    assert not AccountRequest.objects.exists()
