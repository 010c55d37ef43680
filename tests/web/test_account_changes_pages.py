"""The account page's actions: change class and decommission, each a form with its
preview (CSRF-checked), submitted as a request; the approvals queue shows the kind."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.lifecycle.conftest import ready_account
from vending.choices import RequestKind
from vending.models import AccountRequest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(users, team, moto_gateway, task_queue):
    return ready_account(users, team, task_queue)


def test_the_account_page_offers_the_actions_to_its_teams_leads_only(
    web_client_for, account, other_team
):
    page = web_client_for("lead").get(f"/accounts/{account.account_id}/")
    html = page.content.decode()
    assert f"/accounts/{account.account_id}/change_class/" in html
    assert f"/accounts/{account.account_id}/decommission/" in html
    approver = web_client_for("approver1").get(f"/accounts/{account.account_id}/")
    assert "change_class/" not in approver.content.decode()
    # Another team's lead cannot even open the form.
    other = web_client_for("lead2").get(f"/accounts/{account.account_id}/change_class/")
    assert other.status_code == 404


def test_change_class_form_previews_then_submits(web_client_for, account, users):
    lead = web_client_for("lead")
    url = f"/accounts/{account.account_id}/change_class/"
    preview = lead.get(url, {"compliance_class": "hipaa"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "GeneralOU" in html and "HipaaOU" in html
    assert "Services lost" in html and 'class="services-lost"' in html
    answer = lead.post(url, {"compliance_class": "hipaa", "justification": "Patients"})
    request = AccountRequest.objects.get(kind=RequestKind.CHANGE_CLASS)
    assert answer.status_code == 302 and answer["Location"] == f"/requests/{request.pk}/"
    assert request.target_account == account and request.compliance_class == "hipaa"
    # The account page now names the open request instead of the actions.
    page = lead.get(f"/accounts/{account.account_id}/").content.decode()
    assert f"/requests/{request.pk}/" in page and "change_class/" not in page
    # The approvals queue shows the kind.
    queue = web_client_for("approver1").get("/approvals/").content.decode()
    assert "Change class" in queue and account.account_id in queue


def test_change_class_form_shows_every_error_and_creates_nothing(web_client_for, account):
    answer = web_client_for("lead").post(
        f"/accounts/{account.account_id}/change_class/",
        {"compliance_class": "general", "justification": ""},
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "already of class general" in html and "This field is required." in html
    assert not AccountRequest.objects.filter(kind=RequestKind.CHANGE_CLASS).exists()


def test_decommission_form_previews_the_ending(web_client_for, account):
    page = web_client_for("lead").get(f"/accounts/{account.account_id}/decommission/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "SuspendedOU" in html and "closed (CloseAccount)" in html
    assert "reopened through AWS Support for 90 days" in html
    answer = web_client_for("lead").post(
        f"/accounts/{account.account_id}/decommission/", {"justification": "Project over"}
    )
    request = AccountRequest.objects.get(kind=RequestKind.DECOMMISSION)
    assert answer.status_code == 302 and request.target_account == account


def test_the_forms_are_csrf_protected(users, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["lead"])
    answer = client.post(
        f"/accounts/{account.account_id}/change_class/",
        {"compliance_class": "hipaa", "justification": "Patients"},
    )
    assert answer.status_code == 403
    assert not AccountRequest.objects.filter(kind=RequestKind.CHANGE_CLASS).exists()


def test_extend_form_for_a_leased_account(web_client_for, account):
    from datetime import timedelta

    from django.utils import timezone

    from vending.models import VendedAccount

    lead = web_client_for("lead")
    assert "extend/" not in lead.get(f"/accounts/{account.account_id}/").content.decode()
    end = timezone.localdate() + timedelta(days=5)
    VendedAccount.objects.filter(pk=account.pk).update(expires_on=end)
    assert "extend/" in lead.get(f"/accounts/{account.account_id}/").content.decode()
    new = end + timedelta(days=10)
    preview = lead.get(f"/accounts/{account.account_id}/extend/", {"expires_on": str(new)})
    assert f"{end} &rarr; {new}" in preview.content.decode()
    answer = lead.post(
        f"/accounts/{account.account_id}/extend/",
        {"expires_on": str(new), "justification": "More time"},
    )
    assert answer.status_code == 302
    assert AccountRequest.objects.get(kind=RequestKind.EXTEND).expires_on == new
