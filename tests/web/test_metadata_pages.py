"""Owner, cost centre, tags, contacts and budget on the web: the new-request form (every
field's error at once), the request and account pages, the admin's budget form, and the
accounts list's filters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.web.test_requests_pages import _form
from vending.models import AccountRequest, AuditEvent

pytestmark = pytest.mark.django_db


CONTACT = {
    "billing_name": "Ana Ops",
    "billing_title": "Finance",
    "billing_email": "bills@example.com",
    "billing_phone": "+1 555 0100",
}


def test_a_lead_submits_owner_cost_centre_tags_contacts_and_budget(web_client_for, users, team):
    team.leads.add(users["lead2"])
    response = web_client_for("lead").post(
        reverse("request_new"),
        _form(
            owner="lead2",
            cost_centre="CC-7",
            tags="project=claims\n\nurl = https://x.example/a\n",
            budget="99.50",
            **CONTACT,
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    created = AccountRequest.objects.get()
    assert created.owner == users["lead2"] and created.cost_centre == "CC-7"
    assert created.tags == {"project": "claims", "url": "https://x.example/a"}
    assert created.contacts == {
        "billing": {
            "name": "Ana Ops",
            "title": "Finance",
            "email": "bills@example.com",
            "phone": "+1 555 0100",
        }
    }
    assert created.budget_amount == Decimal("99.50")
    html = web_client_for("lead").get(response["Location"]).content.decode()
    assert "CC-7" in html and "project=claims" in html and "99.50 USD per account" in html


def test_every_field_error_is_shown_at_once(web_client_for, team):
    response = web_client_for("lead").post(
        reverse("request_new"),
        _form(
            cost_centre="no spaces",
            tags="aws:x=1\nEnv=a\nenv=b",
            budget="-1",
            billing_name="Only a name",
            operations_email="not-an-address",
            operations_name="x",
            operations_title="y",
            operations_phone="z",
        ),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"cost_centre", "tags", "budget", "billing_title", "operations_email"} <= set(errors)
    assert "reserved by AWS" in " ".join(errors["tags"])
    assert "given twice" in " ".join(errors["tags"])
    assert not AccountRequest.objects.exists()


def test_an_owner_who_does_not_lead_the_team_is_refused(web_client_for, team):
    response = web_client_for("lead").post(reverse("request_new"), _form(owner="approver1"))
    assert response.status_code == 400
    assert "not a lead of team" in " ".join(response.context["form"].errors["owner"])


def test_the_preview_shows_what_the_accounts_will_carry(web_client_for, users, team, moto_gateway):
    from tests.web.test_requests_pages import _preview

    team.leads.add(users["lead2"])
    html = _preview(
        web_client_for("lead"),
        environments=["dev", "prod"],
        owner="lead2",
        cost_centre="CC-7",
        tags="project=claims",
        budget="99.50",
        **CONTACT,
    ).content.decode()
    assert "<dt>Owner</dt><dd>lead2</dd>" in html
    assert '<dt>Cost centre</dt><dd class="mono">CC-7</dd>' in html
    assert '<span class="mono">project=claims</span>' in html
    assert 'Billing: Ana Ops <span class="mono">bills@example.com</span>' in html
    assert "<dt>Monthly budget</dt><dd>dev: 99.50 USD; prod: 99.50 USD</dd>" in html
    # The defaults when nothing is given: the requester, the team's slug, no budget.
    html = _preview(web_client_for("lead")).content.decode()
    assert "<dt>Owner</dt><dd>lead</dd>" in html
    assert '<dt>Cost centre</dt><dd class="mono">checkout</dd>' in html
    assert "the portal's own only" in html and '<span class="muted">none</span>' in html


def test_the_preview_names_what_is_wrong_with_them(web_client_for, team, moto_gateway):
    from tests.web.test_requests_pages import _preview

    html = _preview(
        web_client_for("lead"), owner="approver1", budget="-1", tags="aws:x=1"
    ).content.decode()
    assert "Owner, cost centre, tags, contacts or budget:" in html
    assert "reserved by AWS" in html
    assert "<dt>Owner</dt>" not in html
    # The accounts themselves are still previewed.
    assert "checkout-dev" in html
    html = _preview(web_client_for("lead"), owner="approver1").content.decode()
    assert "not a lead of team" in html


def test_the_account_page_shows_metadata_and_admins_set_the_budget(
    web_client_for, fleet, moto_gateway, users
):
    dev = fleet["dev"]
    dev.cost_centre, dev.budget_amount, dev.budget_status = "CC-9", Decimal("10"), "done"
    dev.contacts = {"security": {"name": "Sec", "title": "CISO", "email": "s@x.io", "phone": "1"}}
    dev.save()
    lead_html = web_client_for("lead").get("/accounts/111111111111/").content.decode()
    assert "CC-9" in lead_html and "10.00 USD" in lead_html and "CISO" in lead_html
    assert "Set the budget" not in lead_html  # admins only
    admin = web_client_for("admin")
    assert "Set the budget" in admin.get("/accounts/111111111111/").content.decode()
    response = admin.post("/accounts/111111111111/budget/", {"amount": "250"})
    assert response.status_code == 302
    dev.refresh_from_db()
    assert dev.budget_amount == Decimal("250") and dev.budget_status == "pending"
    assert AuditEvent.objects.filter(action="account.budget_changed", actor=users["admin"]).exists()


def test_a_lead_cannot_set_a_budget(web_client_for, fleet):
    response = web_client_for("lead").post("/accounts/111111111111/budget/", {"amount": "1"})
    assert response.status_code == 302
    fleet["dev"].refresh_from_db()
    assert fleet["dev"].budget_amount is None
    response = web_client_for("lead").post("/accounts/222222222222/budget/", {"amount": "1"})
    assert response.status_code == 404  # not theirs to see


@pytest.mark.parametrize(
    ("query", "admin_sees", "lead_sees"),
    [
        ({"owner": "lead2"}, ["payments-qa"], []),
        ({"cost_centre": "payments"}, ["payments-qa"], []),
        ({"tag": "tier:gold"}, ["payments-qa"], []),
        ({"q": "gold"}, ["payments-qa"], []),
        ({"cost_centre": "checkout"}, ["checkout-dev", "checkout-prod"], ["checkout-dev",
                                                                           "checkout-prod"]),
    ],
)  # fmt: skip
def test_the_list_filters_by_owner_cost_centre_and_tag(
    web_client_for, fleet, query, admin_sees, lead_sees
):
    fleet["qa"].tags = {"tier": "gold"}
    fleet["qa"].save()
    for role, expected in (("admin", admin_sees), ("lead", lead_sees)):
        response = web_client_for(role).get(reverse("account_list"), query)
        rows = response.content.decode()
        for name in ("checkout-dev", "checkout-prod", "payments-qa"):
            assert (f">{name}<" in rows) is (name in expected), (role, name)
