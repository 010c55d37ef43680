"""The invitation form for leads: its live preview (target OU, approvals, AWS's daily
invitations and when a queued one goes out, a refusal for an account the organization
holds), the submit (CSRF, field errors, leads only for their teams) and how the request
shows afterwards (its kind in the queue, the handshake on its page). And the create
form's lease (`expires_on`), checked against the per-class maximum."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from vending.choices import AccountOrigin, AccountStatus, RequestKind
from vending.models import AccountRequest, VendedAccount

pytestmark = pytest.mark.django_db

FORM = {
    "team": "checkout",
    "environment": "dev",
    "compliance_class": "hipaa",
    "account": "210987654321",
    "justification": "The analytics account joins the team",
}


def preview(client: Client, **changes: str) -> str:
    response = client.post("/requests/invite/preview/", {**FORM, **changes}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_a_lead_sees_the_form_for_their_teams_only(web_client_for, team, other_team):
    html = web_client_for("lead").get("/requests/invite/").content.decode()
    assert "Invite an existing account" in html and "csrfmiddlewaretoken" in html
    assert 'value="checkout"' in html and 'value="payments"' not in html
    assert "/requests/invite/" in web_client_for("lead").get("/requests/new/").content.decode()
    assert "/requests/invite/" in web_client_for("lead").get("/accounts/").content.decode()


def test_only_leads_open_it(web_client_for, team):
    assert web_client_for("approver1").get("/requests/invite/").status_code == 403
    assert web_client_for("approver1").post("/requests/invite/preview/", FORM).status_code == 403
    anonymous = Client().get("/requests/invite/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_the_preview_says_where_it_lands_and_the_days_quota(web_client_for, team):
    html = preview(web_client_for("lead"))
    assert "HipaaOU" in html and "1 approval" in html
    assert "0 of 20" in html and "as soon as it is approved" in html
    regulated = preview(web_client_for("lead"), environment="prod", compliance_class="pci")
    assert "PciOU" in regulated and "2 approvals" in regulated
    by_email = preview(web_client_for("lead"), account="legacy@example.com")
    assert "legacy@example.com" in by_email
    assert "12-digit" in preview(web_client_for("lead"), account="12345")


def test_past_the_days_invitations_the_preview_says_when_it_goes_out(web_client_for, team):
    now = timezone.now()
    for i in range(20):
        VendedAccount.objects.create(
            origin=AccountOrigin.INVITED,
            name=f"sent-{i}",
            email=f"sent-{i}@example.com",
            invite_requested_at=now - timedelta(hours=23, minutes=i),
            status=AccountStatus.INVITED,
            is_active=False,
        )
    html = preview(web_client_for("lead"))
    assert "20 of 20" in html and "queued" in html


def test_an_account_of_the_organization_is_refused_in_the_preview_and_on_submit(
    web_client_for, team
):
    VendedAccount.objects.create(
        origin=AccountOrigin.IMPORTED,
        name="analytics",
        email="analytics@example.com",
        account_id="210987654321",
        target_ou_path="GeneralOU",
        status=AccountStatus.READY,
    )
    html = preview(web_client_for("lead"))
    assert "Cannot be invited" in html and "already in the organization" in html
    answer = web_client_for("lead").post("/requests/invite/", FORM)
    assert answer.status_code == 409
    assert "Already in the organization." in answer.content.decode()
    assert not AccountRequest.objects.filter(kind=RequestKind.INVITE).exists()


def test_submit_then_the_request_page_and_the_queue_show_the_invitation(
    web_client_for, team, users
):
    answer = web_client_for("lead").post("/requests/invite/", FORM)
    request = AccountRequest.objects.get(kind=RequestKind.INVITE)
    assert answer.status_code == 302 and answer["Location"] == f"/requests/{request.pk}/"
    assert (request.team, request.compliance_class, request.environments) == (
        team,
        "hipaa",
        ["dev"],
    )
    assert request.target_account.account_id == "210987654321"
    page = web_client_for("lead").get(answer["Location"]).content.decode()
    assert "Invite an existing account" in page
    queue = web_client_for("approver1").get("/approvals/").content.decode()
    assert "Invite an existing account" in queue and "210987654321" in queue
    # A second invitation of the same account is refused, naming the first.
    again = preview(web_client_for("lead"))
    assert f"#{request.pk}" in again and "Cannot be invited" in again

    # Once sent, both pages show the handshake to copy and when it expires.
    VendedAccount.objects.filter(pk=request.target_account.pk).update(
        status=AccountStatus.INVITED,
        handshake_id="h-0123456789abcdef",
        handshake_state="OPEN",
        handshake_expires_at=timezone.now() + timedelta(days=15),
    )
    page = web_client_for("lead").get(f"/requests/{request.pk}/").content.decode()
    assert "h-0123456789abcdef" in page and "expires" in page
    account_page = web_client_for("lead").get("/accounts/210987654321/").content.decode()
    assert "h-0123456789abcdef" in account_page


def test_an_invitation_by_email_has_a_request_page(web_client_for, team):
    web_client_for("lead").post("/requests/invite/", {**FORM, "account": "legacy@example.com"})
    request = AccountRequest.objects.get(kind=RequestKind.INVITE)
    assert request.target_account.email == "legacy@example.com"
    page = web_client_for("lead").get(f"/requests/{request.pk}/")
    assert page.status_code == 200 and "legacy@example.com" in page.content.decode()
    assert web_client_for("approver1").get(f"/approvals/{request.pk}/").status_code == 200


def test_field_errors_and_nothing_created(web_client_for, team, other_team):
    lead = web_client_for("lead")
    bad = lead.post("/requests/invite/", {**FORM, "account": "not an id", "justification": ""})
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "Give a 12-digit AWS account id or an e-mail address." in html
    assert "Say why the account should join." in html
    other = lead.post("/requests/invite/", {**FORM, "team": "payments"})
    assert other.status_code == 400 and 'id="team-errors"' in other.content.decode()
    assert not AccountRequest.objects.exists()


def test_the_form_is_csrf_checked(users, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["lead"])
    assert client.post("/requests/invite/", FORM).status_code == 403
    assert not AccountRequest.objects.exists()


# -- the create form's lease ---------------------------------------------------------------

CREATE = {
    "team": "checkout",
    "environments": ["dev"],
    "compliance_class": "general",
    "justification": "A sandbox",
}


def test_the_create_form_sets_a_lease_within_the_maximum(web_client_for, team, settings):
    settings.VENDING_LEASE_MAX_DAYS = {"general:dev": 30}
    lead = web_client_for("lead")
    assert 'name="expires_on"' in lead.get("/requests/new/").content.decode()
    too_long = (timezone.localdate() + timedelta(days=31)).isoformat()
    shown = lead.post("/requests/preview/", {**CREATE, "expires_on": too_long}).content.decode()
    assert "At most 30 days for general dev accounts" in shown
    refused = lead.post("/requests/new/", {**CREATE, "expires_on": too_long})
    assert refused.status_code == 400
    assert 'id="expires-errors"' in refused.content.decode()
    assert not AccountRequest.objects.exists()

    fine = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert (
        "Ends on " + fine
        in lead.post("/requests/preview/", {**CREATE, "expires_on": fine}).content.decode()
    )
    answer = lead.post("/requests/new/", {**CREATE, "expires_on": fine})
    assert answer.status_code == 302
    request = AccountRequest.objects.get()
    assert request.expires_on.isoformat() == fine
    assert {a.expires_on.isoformat() for a in request.accounts.all()} == {fine}
