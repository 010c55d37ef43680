"""POST /api/v1/requests/ and /preview/ for the kinds about an existing account:
validation per kind (every error at once), the one-open-request 409, approval rules
that follow the target, previews, and who may ask."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.lifecycle.conftest import ready_account
from vending.choices import RequestKind

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/requests/"


@pytest.fixture
def account(users, team, moto_gateway, task_queue):
    return ready_account(users, team, task_queue)


def test_each_kind_reports_every_missing_and_foreign_field_at_once(client_for):
    lead = client_for("lead")
    answer = lead.post(
        URL,
        {"kind": "change_class", "environments": ["dev"], "compliance_class": "nope"},
        format="json",
    )
    assert answer.status_code == 400
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {"account_id", "environments", "compliance_class", "justification"}
    assert "does not take" in fields["environments"][0]
    assert "Required" in fields["account_id"][0]

    answer = lead.post(URL, {"kind": "decommission", "justification": "x"}, format="json")
    assert answer.json()["error"]["fields"] == {
        "account_id": ["Required for a request of kind 'decommission'."]
    }
    answer = lead.post(
        URL,
        {"kind": "invite", "justification": "x", "account_id": "12", "email": "a@b.co"},
        format="json",
    )
    fields = answer.json()["error"]["fields"]
    assert {"team", "compliance_class", "environment", "account_id"} <= set(fields)
    answer = lead.post(URL, {"kind": "rename", "justification": "x"}, format="json")
    assert set(answer.json()["error"]["fields"]) == {"kind"}
    for odd in ({}, [], 3, None):  # not a string: a 400 naming the field, never a 500
        answer = lead.post(URL, {"kind": odd, "justification": "x"}, format="json")
        assert answer.status_code == 400 and "kind" in answer.json()["error"]["fields"]


def test_create_stays_the_default_kind(client_for, team):
    answer = client_for("lead").post(
        URL,
        {
            "team": team.slug,
            "compliance_class": "general",
            "environments": ["dev"],
            "justification": "Launch",
        },
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["kind"] == "create" and answer.json()["account_id"] is None


def test_change_class_is_created_then_a_second_request_is_a_409(client_for, account):
    lead = client_for("lead")
    body = {
        "kind": "change_class",
        "account_id": account.account_id,
        "compliance_class": "pci",
        "justification": "Cards",
    }
    answer = lead.post(URL, body, format="json")
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    assert (created["kind"], created["account_id"], created["compliance_class"]) == (
        "change_class",
        account.account_id,
        "pci",
    )
    assert created["environments"] == ["dev"] and created["approvals_required"] == 1
    again = lead.post(
        URL,
        {"kind": "decommission", "account_id": account.account_id, "justification": "x"},
        format="json",
    )
    assert again.status_code == 409
    assert f"#{created['id']}" in again.json()["error"]["message"]


def test_only_the_owning_teams_leads_may_ask(client_for, account, other_team):
    body = {
        "kind": "change_class",
        "account_id": account.account_id,
        "compliance_class": "pci",
        "justification": "Cards",
    }
    hidden = client_for("lead2").post(URL, body, format="json")
    assert hidden.status_code == 400
    assert "that you can see" in hidden.json()["error"]["fields"]["account_id"][0]
    assert client_for("approver1").post(URL, body, format="json").status_code == 403


def test_decommission_of_a_prod_account_needs_two_approvers(
    client_for, users, team, moto_gateway, task_queue
):
    prod = ready_account(users, team, task_queue, env="prod")
    dev = ready_account(users, team, task_queue, env="dev")
    lead = client_for("lead")
    for account, needed in ((prod, 2), (dev, 1)):
        answer = lead.post(
            f"{URL}preview/",
            {"kind": "decommission", "account_id": account.account_id},
            format="json",
        )
        assert answer.json()["approvals_required"] == needed


def test_change_class_cannot_be_approved_by_its_requester_nor_its_team(client_for, users, account):
    users["lead"].groups.add(users["approver1"].groups.get())  # the lead is an approver too
    lead = client_for("lead")
    answer = lead.post(
        URL,
        {
            "kind": "change_class",
            "account_id": account.account_id,
            "compliance_class": "hipaa",
            "justification": "Patients",
        },
        format="json",
    )
    pk = answer.json()["id"]
    refused = lead.post(f"{URL}{pk}/approve/", {}, format="json")
    assert refused.status_code == 403
    assert "own request" in refused.json()["error"]["message"]
    assert client_for("approver1").post(f"{URL}{pk}/approve/", {}, format="json").status_code == 202


def test_change_class_preview_shows_services_gained_and_lost(client_for, account):
    answer = client_for("lead").post(
        f"{URL}preview/",
        {"kind": "change_class", "account_id": account.account_id, "compliance_class": "hipaa"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    preview = answer.json()
    assert preview["current_class"] == "general" and preview["compliance_class"] == "hipaa"
    assert preview["ou_path"] == "HipaaOU" and preview["current_ou_path"] == "GeneralOU"
    assert preview["services_note"] is None
    assert preview["services_lost"], "general -> hipaa must lose the non-eligible services"
    lost = {s["prefix"]: s for s in preview["services_lost"]}
    assert lost[next(iter(lost))]["before"] == "allowed"
    assert preview["services_gained"] == []
    back = client_for("lead").post(
        f"{URL}preview/",
        {"kind": "change_class", "account_id": account.account_id, "compliance_class": "general"},
        format="json",
    )
    assert back.status_code == 400  # already of that class
    assert "already" in back.json()["error"]["fields"]["compliance_class"][0]


def test_decommission_preview_names_account_team_age_and_ending(client_for, account):
    answer = client_for("lead").post(
        f"{URL}preview/",
        {"kind": "decommission", "account_id": account.account_id},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    preview = answer.json()
    assert preview["kind"] == RequestKind.DECOMMISSION
    assert (preview["name"], preview["team"], preview["age_days"]) == (account.name, "checkout", 0)
    assert preview["ending"] == "closed" and preview["ou_path"] == "SuspendedOU"
    assert "90 days" in preview["reopen_note"]
    assert preview["expected_on"] == str(timezone.localdate())  # within the close quota


def test_invite_preview_and_submit(client_for, team, account):
    lead = client_for("lead")
    body = {
        "kind": "invite",
        "team": team.slug,
        "compliance_class": "pci",
        "environment": "prod",
        "account_id": "210987654321",
    }
    preview = lead.post(f"{URL}preview/", body, format="json")
    assert preview.status_code == 200, preview.json()
    assert preview.json()["ou_path"] == "PciOU" and preview.json()["approvals_required"] == 2
    assert preview.json()["expected_send_at"]
    assert (preview.json()["invites_sent"], preview.json()["invites_per_day"]) == (0, 20)
    created = lead.post(URL, {**body, "justification": "Legacy"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["kind"] == "invite"
    assert created.json()["accounts"][0]["status"] == "pending"
    # Already in the organization: refused before any AWS call.
    again = lead.post(
        URL, {**body, "account_id": account.account_id, "justification": "x"}, format="json"
    )
    assert again.status_code == 409
    assert "already in the organization" in again.json()["error"]["message"]


def test_a_rejected_invitation_can_be_asked_again(client_for, team, users):
    lead = client_for("lead")
    body = {
        "kind": "invite",
        "team": team.slug,
        "compliance_class": "general",
        "environment": "dev",
        "account_id": "123412341234",
        "justification": "Legacy",
    }
    first = lead.post(URL, body, format="json").json()["id"]
    rejected = client_for("approver1").post(
        f"{URL}{first}/reject/", {"reason": "Not yet"}, format="json"
    )
    assert rejected.status_code == 200
    again = lead.post(URL, body, format="json")
    assert again.status_code == 201, again.json()
