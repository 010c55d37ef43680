"""The API's owner, cost centre, tags, contacts and budget: on create, invite and preview;
on requests and accounts; as list filters; and an account's budget (admins)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.helpers import error_of
from vending.choices import AccountStatus
from vending.models import AuditEvent, VendedAccount
from vending.selectors.request_metadata import MetadataInput
from vending.services.requests import account_request_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/"
BODY = {
    "team": "checkout",
    "compliance_class": "general",
    "environments": ["dev", "prod"],
    "justification": "Claims service",
}
CONTACT = {
    "name": "Ana Ops",
    "title": "On call",
    "email": "ops@example.com",
    "phone": "+1 555 0100",
}


def test_a_request_carries_its_metadata_to_every_account(client_for, users, team):
    team.leads.add(users["lead2"])
    body = {
        **BODY,
        "owner": "lead2",
        "cost_centre": "CC-42",
        "tags": {"project": "claims", "Équipe": "Café"},
        "contacts": {"billing": CONTACT},
        "budget": "1250.50",
    }
    response = client_for("lead").post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["owner"] == "lead2" and created["cost_centre"] == "CC-42"
    assert created["tags"] == {"project": "claims", "Équipe": "Café"}
    assert created["contacts"] == {"billing": CONTACT}
    assert created["budget"] == "1250.50"
    assert [a["budget"] for a in created["accounts"]] == [
        {"amount": "1250.50", "currency": "USD", "status": "", "error": ""}
    ] * 2
    for account in VendedAccount.objects.filter(request_id=created["id"]):
        assert account.owner == users["lead2"] and account.cost_centre == "CC-42"
        assert account.tags == {"project": "claims", "Équipe": "Café"}
        assert account.budget_amount == Decimal("1250.50")


def test_every_field_error_comes_at_once(client_for, team):
    body = {
        **BODY,
        "cost_centre": "bad centre!",
        "tags": {"aws:owner": "x", "Env": "a", "env": "b", "bad*key": "v"},
        "contacts": {"billing": {**CONTACT, "phone": "call me"}, "legal": CONTACT},
        "budget": "-3",
        "environments": ["staging"],
    }
    response = client_for("lead").post(URL, body, format="json")
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert set(fields) == {"cost_centre", "tags", "contacts", "budget", "environments"}, fields
    tags = " ".join(fields["tags"])
    assert "reserved by AWS" in tags and "given twice" in tags and "letters, numbers" in tags
    contacts = " ".join(fields["contacts"])
    assert "billing.phone" in contacts and "'legal' is not a contact" in contacts
    assert not VendedAccount.objects.exists()


def test_too_many_tags_are_refused_before_any_call(client_for, team):
    body = {**BODY, "tags": {f"k{i}": "v" for i in range(45)}}
    response = client_for("lead").post(URL, body, format="json")
    assert response.status_code == 400
    assert "at most 44" in error_of(response)["fields"]["tags"][0]


def test_the_owner_must_lead_the_team(client_for, team):
    response = client_for("lead").post(URL, {**BODY, "owner": "approver1"}, format="json")
    assert response.status_code == 400
    assert "not a lead of team 'checkout'" in error_of(response)["fields"]["owner"][0]
    response = client_for("lead").post(URL, {**BODY, "owner": "ghost"}, format="json")
    assert error_of(response)["fields"]["owner"] == ["There is no user 'ghost'."]


def test_contacts_and_budget_are_not_taken_by_an_invitation(client_for, team):
    body = {
        "kind": "invite",
        "team": "checkout",
        "compliance_class": "general",
        "environment": "dev",
        "account_id": "222222222222",
        "justification": "Bring it in",
        "budget": "5",
        "contacts": {"billing": CONTACT},
    }
    response = client_for("lead").post(URL, body, format="json")
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert fields["budget"] == ["A request of kind 'invite' does not take this field."]
    assert "contacts" in fields


def test_the_preview_shows_what_the_accounts_will_carry(client_for, team, moto_gateway):
    body = {k: v for k, v in BODY.items() if k != "justification"}
    response = client_for("lead").post(
        URL + "preview/", {**body, "tags": {"project": "claims"}, "budget": 300}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["metadata"] == {
        "owner": "lead",
        "cost_centre": "checkout",
        "tags": {"project": "claims"},
        "contacts": {},
        "budgets": {"dev": "300.00", "prod": "300.00"},
    }


def _vended(users, team, other_team):  # type: ignore[no-untyped-def]
    mine = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="x",
        metadata=MetadataInput(cost_centre="CC-1", tags={"project": "claims", "url": "a:b"}),
    )
    theirs = account_request_create(
        requester=users["lead2"],
        team=other_team,
        compliance_class="general",
        environments=["dev"],
        justification="x",
        metadata=MetadataInput(cost_centre="CC-1", tags={"project": "claims"}),
    )
    for i, request in enumerate((mine, theirs)):
        request.accounts.update(account_id=f"99999999999{i}", status=AccountStatus.READY)
    return mine, theirs


@pytest.mark.parametrize(
    ("query", "admin_sees", "lead_sees"),
    [
        ({"owner": "lead2"}, ["payments"], []),
        ({"cost_centre": "cc-1"}, ["checkout", "payments"], ["checkout"]),
        ({"tag": "project:claims"}, ["checkout", "payments"], ["checkout"]),
        ({"tag": "url:a:b"}, ["checkout"], ["checkout"]),
        ({"tag": "url"}, ["checkout"], ["checkout"]),
        ({"tag": "project:other"}, [], []),
        ({"search": "lead2"}, ["payments"], []),
        ({"search": "claims"}, ["checkout", "payments"], ["checkout"]),
    ],
)
def test_list_filters_never_show_what_you_may_not_see(
    client_for, users, team, other_team, query, admin_sees, lead_sees
):
    _vended(users, team, other_team)
    for role, expected in (("admin", admin_sees), ("lead", lead_sees)):
        response = client_for(role).get("/api/v1/accounts/", query)
        assert response.status_code == 200, response.json()
        assert [a["team"] for a in response.json()["results"]] == expected, role


def test_an_account_shows_its_metadata_and_budget(client_for, users, team, other_team):
    _vended(users, team, other_team)
    body = client_for("lead").get("/api/v1/accounts/999999999990/").json()
    assert body["owner"] == "lead" and body["cost_centre"] == "CC-1"
    assert body["tags"] == {"project": "claims", "url": "a:b"}
    assert body["budget"] is None and body["contacts"] == {}


BUDGET = "/api/v1/accounts/999999999990/budget/"


def test_an_admin_sets_the_budget(
    client_for, users, team, other_team, task_queue, django_capture_on_commit_callbacks
):
    _vended(users, team, other_team)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("admin").put(BUDGET, {"amount": "400"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["budget"] == {
        "amount": "400.00",
        "currency": "USD",
        "status": "pending",
        "error": "",
    }
    assert AuditEvent.objects.filter(action="account.budget_changed").count() == 1
    assert tuple({m[0] for m in task_queue.messages}) == ("vending.account_setup",)
    response = client_for("admin").patch(BUDGET, {"amount": None}, format="json")
    assert response.json()["budget"]["amount"] is None


@pytest.mark.parametrize(
    ("role", "body", "status"),
    [
        ("lead", {"amount": "5"}, 403),  # may see it, may not change it
        ("lead2", {"amount": "5"}, 404),  # may not see it
        ("admin", {"amount": "0"}, 400),
        ("admin", {"amount": "5", "currency": "EUR"}, 400),
        ("admin", {}, 400),
    ],
)
def test_budget_refusals(client_for, users, team, other_team, role, body, status):
    _vended(users, team, other_team)
    response = client_for(role).put(BUDGET, body, format="json")
    assert response.status_code == status, response.json()
    assert not AuditEvent.objects.filter(action="account.budget_changed").exists()


def test_a_budget_is_changed_on_ready_accounts_only(client_for, users, team, other_team):
    mine, _ = _vended(users, team, other_team)
    mine.accounts.update(status=AccountStatus.SUSPENDED)
    response = client_for("admin").put(BUDGET, {"amount": "5"}, format="json")
    assert response.status_code == 409
