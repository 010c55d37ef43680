"""Imported accounts in the inventory: listed with their OU and class, nobody's until an
admin assigns a team (web and API, audited), then their team's leads see them."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.helpers import AwsDown
from vending.audit import AccountTeamAssignedPayload
from vending.audit_reading import audit_event_payload
from vending.choices import AccountOrigin, AccountStatus, AuditAction
from vending.errors import InvalidInput, InvalidTransition, PermissionDenied
from vending.models import AuditEvent, VendedAccount
from vending.services.org_import import account_team_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db):
    return VendedAccount.objects.create(
        origin=AccountOrigin.IMPORTED,
        name="legacy-payments",
        email="legacy-payments@example.com",
        account_id="123456789012",
        target_ou_path="PciOU",
        compliance_class="pci",
        status=AccountStatus.READY,
    )


def listed(client, **query) -> list[str]:
    body = client.get("/api/v1/accounts/", query).json()
    return [row["account_id"] for row in body["results"]]


def test_admins_see_an_unassigned_import_and_leads_do_not(client_for, team, imported):
    [row] = client_for("admin").get("/api/v1/accounts/").json()["results"]
    assert row["origin"] == "imported" and row["request"] is None
    assert (row["team"], row["compliance_class"], row["ou_path"]) == (None, "pci", "PciOU")
    assert row == client_for("admin").get("/api/v1/accounts/123456789012/").json()
    assert listed(client_for("admin"), origin="imported", compliance_class="pci") == [
        "123456789012"
    ]
    assert listed(client_for("admin"), origin="created") == []
    assert listed(client_for("lead")) == []
    assert client_for("lead").get("/api/v1/accounts/123456789012/").status_code == 404


def test_an_admin_assigns_a_team_through_the_api(client_for, team, other_team, imported):
    response = client_for("admin").post(
        "/api/v1/accounts/123456789012/team/", {"team": "checkout"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["team"] == "checkout"
    assert listed(client_for("lead")) == ["123456789012"]  # checkout's lead
    assert listed(client_for("lead2")) == []
    assert listed(client_for("admin"), team="checkout") == ["123456789012"]
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_TEAM_ASSIGNED)
    assert event.account == imported and event.team == team and event.actor.username == "admin"
    assert audit_event_payload(event) == AccountTeamAssignedPayload(team="checkout", previous="")

    # Again to another team: the trail says which it had.
    client_for("admin").post(
        "/api/v1/accounts/123456789012/team/", {"team": "payments"}, format="json"
    )
    last = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).last()
    assert audit_event_payload(last) == AccountTeamAssignedPayload(
        team="payments", previous="checkout"
    )
    assert listed(client_for("lead")) == [] and listed(client_for("lead2")) == ["123456789012"]


@pytest.mark.parametrize("role", ["approver1", "lead", "nobody"])
def test_nobody_else_assigns(client_for, team, imported, role):
    response = client_for(role).post(
        "/api/v1/accounts/123456789012/team/", {"team": "checkout"}, format="json"
    )
    # Leads and others cannot see the account at all (404); approvers see, may not (403).
    assert response.status_code == (403 if role == "approver1" else 404)
    assert VendedAccount.objects.get(pk=imported.pk).team is None
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).exists()


def test_bad_input_changes_nothing(client_for, team, imported, fleet):
    admin = client_for("admin")
    unknown = admin.post("/api/v1/accounts/123456789012/team/", {"team": "nope"}, format="json")
    assert unknown.status_code == 400 and "team" in unknown.json()["error"]["fields"]
    extra = admin.post(
        "/api/v1/accounts/123456789012/team/", {"team": "checkout", "x": 1}, format="json"
    )
    assert extra.status_code == 400
    created = fleet["general"].accounts.get(environment="dev")
    created.account_id = "999999999999"
    created.save()
    refused = admin.post("/api/v1/accounts/999999999999/team/", {"team": "payments"}, format="json")
    assert refused.status_code == 409
    assert VendedAccount.objects.get(pk=imported.pk).team is None
    assert VendedAccount.objects.get(pk=created.pk).team is None
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).exists()


def test_the_service_refuses_non_admins_and_created_accounts(users, team, imported, fleet):
    with pytest.raises(PermissionDenied):
        account_team_assign(
            actor=users["approver1"], account_id="123456789012", team_slug="checkout"
        )
    with pytest.raises(PermissionDenied):
        account_team_assign(actor=None, account_id="123456789012", team_slug="checkout")
    created = fleet["general"].accounts.get(environment="dev")
    created.account_id = "999999999999"
    created.save()
    with pytest.raises(InvalidTransition):
        account_team_assign(actor=users["admin"], account_id="999999999999", team_slug="checkout")


@pytest.fixture
def fleet(users, team, other_team):
    from vending.services.requests import account_request_create

    return {
        "general": account_request_create(
            requester=users["lead"], team=team, compliance_class="general",
            environments=["dev"], justification="x",
        )
    }  # fmt: skip


def test_the_accounts_pages_show_and_assign_an_import(users, team, imported, monkeypatch):
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: AwsDown())
    admin = Client()
    admin.force_login(users["admin"])
    page = admin.get("/accounts/").content.decode()
    assert "legacy-payments" in page and "unassigned" in page and "Imported from the" in page
    detail = admin.get("/accounts/123456789012/").content.decode()
    assert "Not created by the portal" in detail and 'name="csrfmiddlewaretoken"' in detail
    assert 'action="/accounts/123456789012/team/"' in detail
    response = admin.post("/accounts/123456789012/team/", {"team": "checkout"})
    assert response.status_code == 302
    assert VendedAccount.objects.get(pk=imported.pk).team == team

    lead = Client()
    lead.force_login(users["lead"])
    detail = lead.get("/accounts/123456789012/").content.decode()
    assert "legacy-payments" in detail and 'action="/accounts/123456789012/team/"' not in detail
    lead.post("/accounts/123456789012/team/", {"team": "checkout"})
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).count() == 1

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["admin"])
    assert strict.post("/accounts/123456789012/team/", {"team": "checkout"}).status_code == 403


def test_an_admin_gives_an_import_an_environment_and_it_is_kept_unless_named(
    client_for, team, other_team, imported
):
    admin = client_for("admin")
    url = "/api/v1/accounts/123456789012/team/"
    response = admin.post(url, {"team": "checkout", "environment": "prod"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["environment"] == "prod"
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_TEAM_ASSIGNED)
    assert audit_event_payload(event) == AccountTeamAssignedPayload(
        team="checkout", previous="", environment="prod", previous_environment=""
    )
    assert event.message == "Assigned to team checkout as prod."
    # The same team and environment again: nothing to record.
    admin.post(url, {"team": "checkout", "environment": "prod"}, format="json")
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).count() == 1
    # Omitted: kept. Empty: none.
    assert admin.post(url, {"team": "payments"}, format="json").status_code == 200
    assert VendedAccount.objects.get(pk=imported.pk).environment == "prod"
    response = admin.post(url, {"team": "payments", "environment": ""}, format="json")
    assert response.json()["environment"] == ""
    last = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).last()
    assert last.message == "Assigned to team payments (was prod)."


def test_an_unknown_environment_is_refused_and_changes_nothing(client_for, team, imported):
    response = client_for("admin").post(
        "/api/v1/accounts/123456789012/team/",
        {"team": "checkout", "environment": "staging"},
        format="json",
    )
    assert response.status_code == 400
    assert "environment" in response.json()["error"]["fields"]
    assert VendedAccount.objects.get(pk=imported.pk).team is None
    with pytest.raises(InvalidInput) as refused:
        account_team_assign(
            actor=_admin(), account_id="123456789012", team_slug="checkout",
            environment="staging",
        )  # fmt: skip
    assert "dev, test, qa, prod" in refused.value.message
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_TEAM_ASSIGNED).exists()


def _admin():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def test_the_account_page_assigns_an_environment(users, team, imported, monkeypatch):
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: AwsDown())
    admin = Client()
    admin.force_login(users["admin"])
    detail = admin.get("/accounts/123456789012/").content.decode()
    assert '<select name="environment" id="id_environment"' in detail
    assert '<option value="prod">Prod</option>' in detail
    page = admin.post(
        "/accounts/123456789012/team/", {"team": "checkout", "environment": "prod"}, follow=True
    ).content.decode()
    assert "legacy-payments now belongs to checkout as prod." in page
    assert VendedAccount.objects.get(pk=imported.pk).environment == "prod"
    assert '<option value="prod" selected>Prod</option>' in page
    page = admin.post(
        "/accounts/123456789012/team/", {"team": "checkout", "environment": "x"}, follow=True
    ).content.decode()
    assert "Choose dev, test, qa, prod or none." in page
    assert VendedAccount.objects.get(pk=imported.pk).environment == "prod"


def test_an_invited_accounts_environment_is_its_requests(client_for, team, fleet):
    invited = VendedAccount.objects.create(
        origin=AccountOrigin.INVITED, request=fleet["general"], environment="test",
        name="joined", email="joined@example.com", account_id="555555555555",
        target_ou_path="GeneralOU", status=AccountStatus.READY,
    )  # fmt: skip
    response = client_for("admin").post(
        "/api/v1/accounts/555555555555/team/",
        {"team": "checkout", "environment": "prod"},
        format="json",
    )
    assert response.status_code == 409
    assert "its environment is the request's" in response.json()["error"]["message"]
    assert VendedAccount.objects.get(pk=invited.pk).environment == "test"
