"""The request pages: new request with its live preview, the list, one request's page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from tests.web.helpers import SCRIPT, many_requests, messages, submit
from vending.aws import TransientAwsError
from vending.choices import AccountStatus, RequestStatus
from vending.models import AccountRequest, Team, VendedAccount
from vending.roles import APPROVERS_GROUP
from vending.services.requests import (
    account_request_approve,
    account_request_reject,
)

pytestmark = pytest.mark.django_db


def _form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "team": "checkout",
        "environments": ["dev"],
        "compliance_class": "general",
        "justification": "Build pipeline sandbox",
    }
    data.update(changes)
    return data


def _fail(account: VendedAccount, reason: str) -> None:
    """Put an account (and its request) in `failed`, as the provisioning worker would."""
    VendedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.FAILED, failure_code="ACCOUNT_LIMIT_EXCEEDED", failure_reason=reason
    )
    AccountRequest.objects.filter(pk=account.request_id).update(status=RequestStatus.FAILED)


# -- sign-in and scoping ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("request_list", [], "get"),
        ("request_new", [], "get"),
        ("request_new", [], "post"),
        ("request_preview", [], "post"),
        ("request_services", [], "get"),
        ("request_detail", [1], "get"),
        ("request_progress", [1], "get"),
        ("request_cancel", [1], "post"),
        ("account_retry", [1, 1], "post"),
    ],
)
def test_anonymous_people_are_sent_to_sign_in(client, name, args, method):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_an_htmx_fragment_sends_an_expired_session_back_to_the_page(client):
    response = client.get(
        reverse("request_progress", args=[1]),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/requests/1/"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/requests/1/"


@pytest.mark.parametrize("name", ["request_detail", "request_progress"])
def test_another_teams_request_is_404(web_client_for, users, team, other_team, name):
    theirs = submit(users, other_team, who="lead2")
    response = web_client_for("lead").get(reverse(name, args=[theirs.pk]))
    assert response.status_code == 404


def test_cancelling_another_teams_request_is_404_and_changes_nothing(
    web_client_for, users, team, other_team
):
    theirs = submit(users, other_team, who="lead2")
    response = web_client_for("lead").post(reverse("request_cancel", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RequestStatus.PENDING_APPROVAL


def test_retry_on_another_teams_request_is_404(web_client_for, users, team, other_team):
    theirs = submit(users, other_team, who="lead2")
    account = theirs.accounts.get()
    response = web_client_for("lead").post(reverse("account_retry", args=[theirs.pk, account.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("request_new", "post"),
        ("request_preview", "post"),
        ("request_cancel", "post"),
        ("account_retry", "post"),
    ],
)
def test_every_form_needs_the_csrf_token(users, team, name, method):
    req = submit(users, team)
    args = {
        "request_new": [],
        "request_preview": [],
        "request_cancel": [req.pk],
        "account_retry": [req.pk, req.accounts.get().pk],
    }[name]
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"] if name == "account_retry" else users["lead"])
    response = client.post(reverse(name, args=args), _form())
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert AccountRequest.objects.count() == 1
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


def test_pages_carry_the_csrf_token_for_htmx_and_forms(web_client_for, team):
    html = web_client_for("lead").get(reverse("request_new")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert "X-CSRFToken" in html  # base.html hands it to every htmx request


# -- new request --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["approver1", "admin", "nobody"])
def test_the_form_is_for_team_leads_only(web_client_for, team, role):
    response = web_client_for(role).get(reverse("request_new"))
    assert response.status_code == 403
    assert "Only team leads can request accounts" in response.content.decode()


def test_the_form_offers_teams_environments_and_explained_classes(
    web_client_for, users, team, other_team
):
    team2 = Team.objects.create(slug="search", name="Search")
    team2.leads.add(users["lead"])
    response = web_client_for("lead").get(reverse("request_new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["nav"] == "new"
    # Only the lead's own teams.
    assert 'value="checkout"' in html and 'value="search"' in html
    assert 'value="payments"' not in html
    for env in ("dev", "test", "qa", "prod"):
        assert f'<label for="id_environments_{env}">' in html
    for help_line in (
        "No restriction beyond the organization&#x27;s guardrails.",
        "HIPAA-eligible services only.",
        "PCI DSS in-scope services only.",
        "Only services both HIPAA-eligible and PCI DSS in scope.",
    ):
        assert help_line in html
    assert f'hx-post="{reverse("request_preview")}"' in html
    assert 'hx-trigger="load, change delay:300ms from:#request-form"' in html
    assert 'label for="id_justification"' in html


def test_a_lead_submits_and_lands_on_the_request_page(web_client_for, users, team):
    response = web_client_for("lead").post(
        reverse("request_new"), _form(environments=["prod", "dev"], compliance_class="hipaa")
    )
    created = AccountRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("request_detail", args=[created.pk])
    assert created.requester == users["lead"]
    assert created.environments == ["dev", "prod"]
    assert created.approvals_required == 2
    assert web_client_for("lead").get(response["Location"]).status_code == 200


def test_the_success_message_says_what_happens_next(web_client_for, team):
    response = web_client_for("lead").post(
        reverse("request_new"), _form(compliance_class="pci", environments=["prod"]), follow=True
    )
    created = AccountRequest.objects.get()
    assert response.redirect_chain == [(reverse("request_detail", args=[created.pk]), 302)]
    assert messages(response.content.decode()) == [
        f"Request #{created.pk} submitted. It waits for 2 approvals; "
        "this page follows its progress."
    ]


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"environments": []}, "environments", "Choose at least one environment."),
        ({"justification": "   "}, "justification", "Say why the accounts are needed."),
        ({"compliance_class": "secret"}, "compliance_class", "Select a valid choice."),
        ({"team": "payments"}, "team", "Select a valid choice."),
    ],
)
def test_invalid_input_is_shown_next_to_its_field(
    web_client_for, team, other_team, changes, field, text
):
    response = web_client_for("lead").post(reverse("request_new"), _form(**changes))
    assert response.status_code == 400
    assert not AccountRequest.objects.exists()
    assert text in " ".join(response.context["form"].errors[field])
    html = response.content.decode()
    assert 'role="alert"' in html
    assert text.replace("'", "&#x27;") in html


def test_the_form_keeps_what_was_typed_after_an_error(web_client_for, team):
    response = web_client_for("lead").post(
        reverse("request_new"),
        _form(environments=[], compliance_class="pci", justification="Keep <me>"),
    )
    html = response.content.decode()
    assert 'id="id_compliance_class_pci" aria-describedby="class-help-pci" checked' in html
    assert "Keep &lt;me&gt;</textarea>" in html


def test_a_duplicate_submission_is_refused_with_the_services_message(web_client_for, users, team):
    held = submit(users, team, envs=("prod",))
    response = web_client_for("lead").post(
        reverse("request_new"), _form(environments=["dev", "prod"])
    )
    assert response.status_code == 409
    assert AccountRequest.objects.count() == 1
    html = response.content.decode()
    message = (
        "This team already has these accounts: prod (aws+checkout-prod@example.com) "
        f"is already held by request #{held.pk}."
    )
    assert message in html
    assert (
        f"prod (aws+checkout-prod@example.com) is already held by request #{held.pk}"
        in response.context["form"].errors["environments"]
    )
    # ... and flagged beside the checkbox.
    assert f"already held by #{held.pk}" in html


def test_existing_environments_are_flagged_beside_the_checkboxes(web_client_for, users, team):
    held = submit(users, team, envs=("qa",))
    html = web_client_for("lead").get(reverse("request_new")).content.decode()
    flag = re.search(r'<span class="env-flag" id="env-flag-qa">(.*?)</span>', html, re.S)
    assert flag is not None
    assert f'href="{reverse("request_detail", args=[held.pk])}"' in flag.group(1)
    assert f"already held by #{held.pk}" in flag.group(1)
    empty = re.search(r'<span class="env-flag" id="env-flag-dev">(.*?)</span>', html, re.S)
    assert empty is not None and empty.group(1) == ""


# -- the preview --------------------------------------------------------------------------


def _preview(client: Client, **changes: Any):
    data = _form(**changes)
    data.pop("justification")
    return client.post(reverse("request_preview"), data, headers={"HX-Request": "true"})


@pytest.mark.slow
def test_the_preview_shows_names_emails_ou_approvals_and_services(
    web_client_for, team, moto_gateway
):
    response = _preview(
        web_client_for("lead"), compliance_class="hipaa_pci", environments=["prod", "dev"]
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment, not a page
    for text in (
        "checkout-dev",
        "aws+checkout-dev@example.com",
        "checkout-prod",
        "aws+checkout-prod@example.com",
        "HipaaOU/HipaaPciOU",
        "<strong>2 approvals</strong> from distinct approvers",
    ):
        assert text in html
    services = response.context["services"]
    assert services.counts["denied"] > 0
    assert services.counts["allowed"] > 0
    assert f"{services.counts['denied']} denied" in html
    assert f"{services.counts['allowed']} allowed" in html
    assert 'id="services-q"' in html
    assert 'class="badge badge-allowed">allowed</span> <span class="mono">s3</span>' in html
    assert not AccountRequest.objects.exists()


def test_the_preview_of_a_general_dev_account_needs_one_approver(
    web_client_for, team, moto_gateway
):
    html = _preview(web_client_for("lead")).content.decode()
    assert "GeneralOU" in html
    assert "<dd>1 approval</dd>" in html


def test_the_preview_flags_an_environment_the_team_already_has(
    web_client_for, users, team, moto_gateway
):
    held = submit(users, team, envs=("prod",), cls="hipaa")
    response = _preview(
        web_client_for("lead"), compliance_class="hipaa", environments=["dev", "prod"]
    )
    html = response.content.decode()
    assert f"already held by #{held.pk}" in html
    assert "This team already has prod: submitting would be refused." in html
    # The flag beside the checkbox is swapped out of band.
    assert (
        '<span class="env-flag" id="env-flag-prod" hx-swap-oob="true">'
        f'<a class="badge badge-partial" href="{reverse("request_detail", args=[held.pk])}"'
    ) in html
    assert '<span class="env-flag" id="env-flag-dev" hx-swap-oob="true"></span>' in html


def test_the_preview_asks_for_an_environment_first(web_client_for, team):
    html = _preview(web_client_for("lead"), environments=[]).content.decode()
    assert "Choose at least one environment" in html


def test_the_preview_says_so_when_aws_cannot_be_reached(web_client_for, team, monkeypatch):
    class Down:
        def root(self):
            raise TransientAwsError("connection refused", code="EndpointConnectionError")

    monkeypatch.setattr("vending.selectors.request_plans.get_gateway", lambda: Down())
    response = _preview(web_client_for("lead"), compliance_class="pci", environments=["dev"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "AWS could not be reached" in html
    assert "aws+checkout-dev@example.com" in html  # the rest still answers
    assert "PciOU" in html


def test_the_preview_is_for_the_teams_leads(web_client_for, team):
    response = _preview(web_client_for("approver1"))
    assert response.status_code == 403
    assert "<html" not in response.content.decode()


def test_the_preview_keeps_the_service_search(web_client_for, team, moto_gateway):
    data = _form(compliance_class="pci", q="lambda", status="")
    data.pop("justification")
    response = web_client_for("lead").post(reverse("request_preview"), data)
    prefixes = [row.prefix for row in response.context["services"].rows]
    assert "lambda" in prefixes
    assert "s3" not in prefixes
    assert 'value="lambda"' in response.content.decode()


def test_services_search_filters_the_list_on_the_server(web_client_for, team, moto_gateway):
    client = web_client_for("lead")
    url = reverse("request_services")
    response = client.get(url, {"compliance_class": "hipaa_pci", "q": "S3", "fragment": "list"})
    assert response.status_code == 200
    html = response.content.decode()
    rows = response.context["services"].rows
    assert rows and all("s3" in (r.prefix + r.name).lower() for r in rows)
    assert '<span class="mono">s3</span>' in html
    assert '<span class="mono">ec2</span>' not in html
    assert 'id="services-filter"' not in html  # only the list is swapped
    denied = client.get(url, {"compliance_class": "hipaa_pci", "status": "denied"})
    assert {r.status for r in denied.context["services"].rows} == {"denied"}
    assert 'id="services-filter"' in denied.content.decode()  # the whole block


def test_services_need_a_valid_class(web_client_for, team):
    response = web_client_for("lead").get(reverse("request_services"), {"compliance_class": "x"})
    assert response.status_code == 400


# -- the list -----------------------------------------------------------------------------


def test_a_lead_lists_their_teams_requests_only(web_client_for, users, team, other_team):
    ours = submit(users, team)
    theirs = submit(users, other_team, who="lead2")
    response = web_client_for("lead").get(reverse("request_list"))
    assert response.status_code == 200
    listed = [r.pk for r in response.context["page"].object_list]
    assert listed == [ours.pk]
    html = response.content.decode()
    assert f"#{theirs.pk}<" not in html
    assert 'name="scope"' not in html  # nothing more to see


def test_approvers_see_all_newest_first_and_leads_default_to_mine(
    web_client_for, users, team, other_team
):
    ours = submit(users, team)
    theirs = submit(users, other_team, who="lead2")
    users["lead"].groups.add(Group.objects.get(name=APPROVERS_GROUP))
    # An approver who leads no team starts from everything.
    page = web_client_for("approver1").get(reverse("request_list")).context["page"]
    assert [r.pk for r in page.object_list] == [theirs.pk, ours.pk]
    # An approver who also leads a team starts from "mine only" and can widen it.
    lead = web_client_for("lead")
    mine = lead.get(reverse("request_list"))
    assert [r.pk for r in mine.context["page"].object_list] == [ours.pk]
    assert '<option value="mine" selected>Mine only</option>' in mine.content.decode()
    everything = lead.get(reverse("request_list"), {"scope": "all"}).context["page"]
    assert [r.pk for r in everything.object_list] == [theirs.pk, ours.pk]


def test_the_list_filters_by_status_and_team(web_client_for, users, team, other_team):
    ours = submit(users, team)
    theirs = submit(users, other_team, who="lead2")
    account_request_reject(request=theirs, actor=users["approver1"], reason="No")
    client = web_client_for("admin")
    rejected = client.get(reverse("request_list"), {"status": "rejected"}).context["page"]
    assert [r.pk for r in rejected.object_list] == [theirs.pk]
    checkout = client.get(reverse("request_list"), {"team": "checkout"}).context["page"]
    assert [r.pk for r in checkout.object_list] == [ours.pk]
    none = client.get(reverse("request_list"), {"team": "checkout", "status": "completed"})
    assert "No request matches these filters." in none.content.decode()


def test_the_list_has_an_empty_state(web_client_for, team):
    html = web_client_for("lead").get(reverse("request_list")).content.decode()
    assert "No requests yet." in html
    assert f'<a href="{reverse("request_new")}">Request accounts for your team</a>' in html


def _many_requests(users, team: Team, count: int) -> None:
    """`count` requests with two accounts and an approval each, written directly."""
    many_requests(users, [team], count, cls="hipaa", ou_path="HipaaOU")


@pytest.mark.parametrize("role", ["lead", "approver1"])
@pytest.mark.parametrize("count", [5, 60])
def test_the_list_costs_the_same_queries_for_5_or_60_rows(
    web_client_for, users, team, django_assert_max_num_queries, role, count
):
    _many_requests(users, team, count)
    client = web_client_for(role)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("request_list"))
    assert len(response.context["page"].object_list) == min(count, 25)


def test_the_list_pages_by_25_keeping_the_filters(web_client_for, users, team):
    _many_requests(users, team, 30)
    client = web_client_for("approver1")
    first = client.get(reverse("request_list"), {"status": "pending_approval"})
    html = first.content.decode()
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in html
    assert 'href="?status=pending_approval&amp;page=2"' in html
    second = client.get(reverse("request_list"), {"status": "pending_approval", "page": 2})
    assert len(second.context["page"].object_list) == 5


# -- one request --------------------------------------------------------------------------


def test_the_request_page_shows_details_with_the_justification_escaped(web_client_for, users, team):
    req = submit(users, team, justification=f"Needs {SCRIPT} now")
    response = web_client_for("lead").get(reverse("request_detail", args=[req.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    for text in (
        "Checkout",
        "General",
        "dev",
        "lead",
        "checkout-dev",
        "aws+checkout-dev@example.com",
    ):
        assert text in html
    assert response.context["nav"] == "requests"


def test_an_approval_comment_is_escaped_too(web_client_for, users, team):
    req = submit(users, team)
    account_request_approve(request=req, approver=users["approver1"], comment=SCRIPT)
    html = web_client_for("lead").get(reverse("request_detail", args=[req.pk])).content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html


def test_the_request_page_says_how_many_approvals_are_still_needed(
    web_client_for, users, team, task_queue
):
    req = submit(users, team, cls="hipaa_pci", envs=("dev", "prod"))
    account_request_approve(request=req, approver=users["approver1"], comment="Fine by me")
    html = web_client_for("lead").get(reverse("request_detail", args=[req.pk])).content.decode()
    assert "<strong>1 of 2</strong> approvals" in html
    assert "1 more approver needed" in html
    assert "needs 2 distinct approvers" in html
    assert "Fine by me" in html


def test_the_request_page_polls_while_the_request_moves(web_client_for, users, team):
    req = submit(users, team)
    html = web_client_for("lead").get(reverse("request_detail", args=[req.pk])).content.decode()
    progress = reverse("request_progress", args=[req.pk])
    assert f'hx-get="{progress}?seen=pending_approval" hx-trigger="every 2s"' in html


def test_the_progress_partial_polls_until_terminal_then_stops(
    web_client_for, users, team, task_queue
):
    req = submit(users, team, envs=("dev", "qa"))
    client = web_client_for("lead")
    url = reverse("request_progress", args=[req.pk])
    account_request_approve(request=req, approver=users["approver1"])
    dev, qa = req.accounts.order_by("id")
    VendedAccount.objects.filter(pk=dev.pk).update(
        status=AccountStatus.READY, account_id="111122223333"
    )
    VendedAccount.objects.filter(pk=qa.pk).update(status=AccountStatus.PLACING)
    moving = client.get(url, {"seen": "provisioning"}, headers={"HX-Request": "true"})
    html = moving.content.decode()
    assert moving.status_code == 200
    assert "<html" not in html
    assert 'hx-trigger="every 2s"' in html
    assert "1 of 2 ready" in html
    assert '<li class="current">Place in OU</li>' in html
    assert "111122223333" in html
    assert "hx-swap-oob" not in html  # the status the page shows did not change

    AccountRequest.objects.filter(pk=req.pk).update(status=RequestStatus.COMPLETED)
    VendedAccount.objects.filter(pk=qa.pk).update(status=AccountStatus.READY)
    done = client.get(url, {"seen": "provisioning"}, headers={"HX-Request": "true"})
    html = done.content.decode()
    assert "hx-trigger" not in html
    assert "every 2s" not in html
    assert "All 2 accounts are ready." in html


def test_a_failed_request_keeps_watching_slowly_for_a_retry(web_client_for, users, team):
    req = submit(users, team)
    AccountRequest.objects.filter(pk=req.pk).update(status="failed")
    html = web_client_for("lead").get(reverse("request_progress", args=[req.pk])).content.decode()
    assert 'hx-trigger="every 15s"' in html


@pytest.mark.parametrize("status", ["rejected", "cancelled", "completed"])
def test_settled_requests_do_not_poll(web_client_for, users, team, status):
    req = submit(users, team)
    AccountRequest.objects.filter(pk=req.pk).update(status=status)
    html = web_client_for("lead").get(reverse("request_progress", args=[req.pk])).content.decode()
    assert "hx-trigger" not in html


def test_the_actions_follow_a_status_change_out_of_band(web_client_for, users, team):
    req = submit(users, team)
    client = web_client_for("lead")
    page = client.get(reverse("request_detail", args=[req.pk])).content.decode()
    assert "Cancel request" in page
    account_request_reject(request=req, actor=users["approver1"], reason="Use the shared one")
    html = client.get(
        reverse("request_progress", args=[req.pk]), {"seen": "pending_approval"}
    ).content.decode()
    assert '<div id="request-actions" class="request-actions" hx-swap-oob="true">' in html
    assert "Cancel request" not in html
    assert "Use the shared one" in html


def test_failed_accounts_show_the_reason_and_admins_may_retry(
    web_client_for, users, team, task_queue
):
    req = submit(users, team)
    account_request_approve(request=req, approver=users["approver1"])
    account = req.accounts.get()
    _fail(account, "The organization has reached its quota of accounts.")
    retry_url = reverse("account_retry", args=[req.pk, account.pk])
    lead_html = web_client_for("lead").get(reverse("request_detail", args=[req.pk]))
    assert "The organization has reached its quota of accounts." in lead_html.content.decode()
    assert retry_url not in lead_html.content.decode()
    admin = web_client_for("admin")
    admin_html = admin.get(reverse("request_detail", args=[req.pk])).content.decode()
    assert f'action="{retry_url}"' in admin_html
    response = admin.post(retry_url, follow=True)
    account.refresh_from_db()
    req.refresh_from_db()
    assert account.status == AccountStatus.PENDING
    assert req.status == RequestStatus.PROVISIONING
    assert messages(response.content.decode()) == [
        "checkout-dev is queued again; its progress shows below."
    ]


def test_a_non_admin_retry_is_refused_with_the_services_message(
    web_client_for, users, team, task_queue
):
    req = submit(users, team)
    account_request_approve(request=req, approver=users["approver1"])
    account = req.accounts.get()
    _fail(account, "Quota")
    response = web_client_for("lead").post(reverse("account_retry", args=[req.pk, account.pk]))
    assert response.status_code == 403
    assert "Only portal admins can retry an account." in response.content.decode()
    account.refresh_from_db()
    assert account.status == AccountStatus.FAILED


def test_the_timeline_says_who_did_what_and_when(web_client_for, users, team, task_queue):
    req = submit(users, team, cls="hipaa", envs=("prod",))
    account_request_approve(request=req, approver=users["approver1"], comment="Checked the DPA")
    account_request_approve(request=req, approver=users["approver2"])
    response = web_client_for("lead").get(reverse("request_detail", args=[req.pk]))
    entries = [(e.actor, e.summary, e.detail) for e in response.context["timeline"]]
    assert entries[:5] == [
        ("lead", "Submitted the request (needs 2 approvals)", ""),
        ("approver1", "Approved (1 of 2)", "Checked the DPA"),
        ("approver2", "Approved (2 of 2)", ""),
        ("approver2", "Request: Pending approval \u2192 Approved", ""),
        ("the portal", "Request: Approved \u2192 Provisioning", ""),
    ]
    html = response.content.decode()
    assert "<strong>approver1</strong>: Approved (1 of 2)" in html
    assert "Request: Pending approval \u2192 Approved" in html
    assert "<time datetime=" in html


def test_the_requester_cancels_with_a_reason(web_client_for, users, team):
    req = submit(users, team)
    client = web_client_for("lead")
    html = client.get(reverse("request_detail", args=[req.pk])).content.decode()
    assert f'action="{reverse("request_cancel", args=[req.pk])}"' in html
    response = client.post(
        reverse("request_cancel", args=[req.pk]), {"reason": "Wrong class"}, follow=True
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.CANCELLED
    assert req.decision_reason == "Wrong class"
    assert messages(response.content.decode()) == [
        f"Request #{req.pk} cancelled. No account will be created."
    ]
    assert "Cancel request" not in response.content.decode()


def test_cancel_is_offered_only_to_the_requester_and_admins(web_client_for, users, team):
    users["lead2"].led_teams.add(team)  # a co-lead of the same team
    req = submit(users, team)
    url = reverse("request_cancel", args=[req.pk])
    html = web_client_for("lead2").get(reverse("request_detail", args=[req.pk])).content.decode()
    assert url not in html
    assert (
        url
        in web_client_for("admin").get(reverse("request_detail", args=[req.pk])).content.decode()
    )
    response = web_client_for("lead2").post(url, follow=True)
    assert messages(response.content.decode()) == [
        "Only the requester or an admin can cancel a request."
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


def test_approvers_get_a_link_to_the_approval_page(web_client_for, users, team):
    req = submit(users, team)
    approval_url = reverse("approval_detail", args=[req.pk])
    approver_html = web_client_for("approver1").get(reverse("request_detail", args=[req.pk]))
    assert f'href="{approval_url}">Review and decide</a>' in approver_html.content.decode()
    lead_html = web_client_for("lead").get(reverse("request_detail", args=[req.pk]))
    assert approval_url not in lead_html.content.decode()


def test_services_say_so_when_aws_cannot_be_reached_and_do_not_keep_it(
    web_client_for, team, monkeypatch, moto_gateway
):
    class Down:
        def root(self):
            raise TransientAwsError("connection refused", code="EndpointConnectionError")

    url = reverse("request_services")
    monkeypatch.setattr("vending.selectors.request_plans.get_gateway", lambda: Down())
    down = web_client_for("approver1").get(url, {"compliance_class": "pci"})
    assert down.status_code == 200
    assert "AWS could not be reached" in down.content.decode()
    monkeypatch.undo()
    back = web_client_for("approver1").get(url, {"compliance_class": "pci"})
    assert back.context["services"].counts["allowed"] > 0
