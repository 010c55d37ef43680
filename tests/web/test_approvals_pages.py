"""The approval queue and the approval page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.web.helpers import SCRIPT, many_requests, messages, submit
from vending.choices import RequestStatus
from vending.models import AccountRequest, Approval, Team
from vending.roles import APPROVERS_GROUP
from vending.services.requests import account_request_approve
from vending.web.approvals import age_label

pytestmark = pytest.mark.django_db


def _make_lead_an_approver(users) -> None:
    users["lead"].groups.add(Group.objects.get(name=APPROVERS_GROUP))


# -- who may come in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("approval_queue", [], "get"),
        ("approval_detail", [1], "get"),
        ("request_approve", [1], "post"),
        ("request_reject", [1], "post"),
    ],
)
def test_anonymous_people_are_sent_to_sign_in(client, name, args, method):
    url = reverse(name, args=args)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", ["lead", "lead2", "nobody"])
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("approval_queue", "get"),
        ("approval_detail", "get"),
        ("request_approve", "post"),
        ("request_reject", "post"),
    ],
)
def test_approval_pages_are_403_for_non_approvers(web_client_for, users, team, role, name, method):
    req = submit(users, team)
    args = [] if name == "approval_queue" else [req.pk]
    response = getattr(web_client_for(role), method)(
        reverse(name, args=args), {"comment": "ok", "reason": "no"}
    )
    assert response.status_code == 403
    assert "Approvers only" in response.content.decode()
    assert "ask a platform admin to add you to the approvers group" in response.content.decode()
    assert not Approval.objects.exists()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


def test_an_unknown_request_is_404_for_approvers(web_client_for, team):
    assert (
        web_client_for("approver1").get(reverse("approval_detail", args=[999])).status_code == 404
    )
    response = web_client_for("approver1").post(reverse("request_approve", args=[999]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["request_approve", "request_reject"])
def test_decisions_need_the_csrf_token(users, team, name):
    req = submit(users, team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["approver1"])
    response = client.post(reverse(name, args=[req.pk]), {"comment": "ok", "reason": "no"})
    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert not Approval.objects.exists()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


# -- the queue ----------------------------------------------------------------------------


def test_the_queue_lists_waiting_requests_oldest_first_with_their_age(
    web_client_for, users, team, other_team
):
    older = submit(users, team)
    newer = submit(users, other_team, who="lead2")
    AccountRequest.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(hours=3, minutes=10)
    )
    response = web_client_for("approver1").get(reverse("approval_queue"))
    assert response.status_code == 200
    assert response.context["nav"] == "approvals"
    assert [r.pk for r, _ in response.context["rows"]] == [older.pk, newer.pk]
    html = response.content.decode()
    assert ">3 h</time>" in html
    assert f'href="{reverse("approval_detail", args=[older.pk])}"' in html
    assert "2 waiting for you" in html


def test_the_queue_leaves_out_own_and_already_approved_requests(
    web_client_for, users, team, other_team, task_queue
):
    _make_lead_an_approver(users)
    own = submit(users, team)
    approved = submit(users, other_team, cls="hipaa", envs=("prod",), who="lead2")
    account_request_approve(request=approved, approver=users["approver1"])
    queue = web_client_for("approver1").get(reverse("approval_queue")).context["rows"]
    assert [r.pk for r, _ in queue] == [own.pk]
    lead_queue = web_client_for("lead").get(reverse("approval_queue")).context["rows"]
    assert [r.pk for r, _ in lead_queue] == [approved.pk]  # not their own request


def test_the_queue_has_an_empty_state(web_client_for, team):
    html = web_client_for("approver1").get(reverse("approval_queue")).content.decode()
    assert "Nothing waits for your approval." in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"team": "payments"}, ["payments-general-dev"]),
        ({"compliance_class": "pci"}, ["checkout-pci-prod"]),
        ({"environment": "prod"}, ["checkout-pci-prod"]),
        ({"environment": "qa"}, []),
        ({"team": "checkout", "environment": "dev"}, ["checkout-general-dev"]),
    ],
)
def test_the_queue_filters_by_team_class_and_environment(
    web_client_for, users, team, other_team, query, expected
):
    labels = {
        submit(users, team).pk: "checkout-general-dev",
        submit(users, team, cls="pci", envs=("prod",)).pk: "checkout-pci-prod",
        submit(users, other_team, who="lead2").pk: "payments-general-dev",
    }
    response = web_client_for("approver1").get(reverse("approval_queue"), query)
    assert [labels[r.pk] for r, _ in response.context["rows"]] == expected
    if not expected:
        assert "No waiting request matches these filters." in response.content.decode()


def _many_waiting(users, count: int) -> None:
    """`count` waiting requests over several teams, each with two accounts and an approval."""
    teams = [Team.objects.create(slug=f"bulk{i}", name=f"Bulk {i}") for i in range(3)]
    many_requests(users, teams, count, cls="pci", ou_path="PciOU")


@pytest.mark.parametrize("count", [5, 60])
def test_the_queue_costs_the_same_queries_for_5_or_60_rows(
    web_client_for, users, django_assert_max_num_queries, count
):
    _many_waiting(users, count)
    client = web_client_for("approver1")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("approval_queue"), {"environment": "prod"})
    assert len(response.context["rows"]) == min(count, 25)
    assert "1 of 2" in response.content.decode()


def test_the_queue_keeps_its_filters_in_the_pagination_links(web_client_for, users):
    _many_waiting(users, 30)
    client = web_client_for("approver1")
    html = client.get(
        reverse("approval_queue"), {"compliance_class": "pci", "environment": "prod"}
    ).content.decode()
    assert 'href="?compliance_class=pci&amp;environment=prod&amp;page=2"' in html
    second = client.get(
        reverse("approval_queue"), {"compliance_class": "pci", "environment": "prod", "page": 2}
    )
    assert len(second.context["rows"]) == 5
    assert 'href="?compliance_class=pci&amp;environment=prod&amp;page=1"' in (
        second.content.decode()
    )


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(5, "<1 min"), (61, "1 min"), (600, "10 min"), (3 * 3600 + 100, "3 h"), (50 * 3600, "2 d")],
)
def test_age_labels_are_short(seconds, label):
    now = timezone.now()
    assert age_label(now - timedelta(seconds=seconds), now) == label


# -- the approval page --------------------------------------------------------------------


def test_the_approval_page_shows_the_request_and_its_preview(web_client_for, users, team):
    req = submit(users, team, cls="hipaa_pci", envs=("dev", "prod"))
    response = web_client_for("approver1").get(reverse("approval_detail", args=[req.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "checkout-dev",
        "aws+checkout-prod@example.com",
        "HipaaOU/HipaaPciOU",
        "HIPAA + PCI DSS",
        "<strong>0 of 2</strong> approvals",
        "2 more approvers needed",
        "needs 2 distinct approvers",
    ):
        assert text in html
    services = reverse("request_services") + "?compliance_class=hipaa_pci"
    assert f'hx-get="{services}"' in html
    assert f'action="{reverse("request_approve", args=[req.pk])}"' in html
    assert f'action="{reverse("request_reject", args=[req.pk])}"' in html


def test_the_services_summary_of_the_approval_page(web_client_for, users, team, moto_gateway):
    response = web_client_for("approver1").get(
        reverse("request_services"),
        {"compliance_class": "hipaa_pci"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    counts = response.context["services"].counts
    assert counts["denied"] > 0 and counts["allowed"] > 0
    assert f"{counts['allowed']} allowed" in html
    assert 'id="services-q"' in html


def test_the_justification_is_escaped_on_the_approval_page(web_client_for, users, team):
    req = submit(users, team, justification=f"Please {SCRIPT}")
    html = web_client_for("approver1").get(reverse("approval_detail", args=[req.pk]))
    text = html.content.decode()
    assert SCRIPT not in text
    assert "Please &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text


def test_one_approval_starts_provisioning_of_a_general_request(
    web_client_for, users, team, task_queue
):
    req = submit(users, team)
    response = web_client_for("approver1").post(
        reverse("request_approve", args=[req.pk]), {"comment": "Looks right"}, follow=True
    )
    assert response.redirect_chain == [(reverse("approval_queue"), 302)]
    assert messages(response.content.decode()) == [
        f"Approved: provisioning started for request #{req.pk}."
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.PROVISIONING
    assert Approval.objects.get().comment == "Looks right"


def test_regulated_prod_needs_two_distinct_approvers(web_client_for, users, team, task_queue):
    req = submit(users, team, cls="hipaa", envs=("dev", "prod"))
    first = web_client_for("approver1").post(
        reverse("request_approve", args=[req.pk]), {"comment": ""}, follow=True
    )
    assert messages(first.content.decode()) == [
        f"Approval recorded: 1 more approver needed for request #{req.pk}."
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL
    # The page tells the next approver that theirs is the last one needed.
    page = web_client_for("approver2").get(reverse("approval_detail", args=[req.pk]))
    assert "Your approval starts provisioning at once." in page.content.decode()
    assert "1 more approver needed" in page.content.decode()
    second = web_client_for("approver2").post(
        reverse("request_approve", args=[req.pk]), {"comment": "Second"}, follow=True
    )
    assert messages(second.content.decode()) == [
        f"Approved: provisioning started for request #{req.pk}."
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.PROVISIONING
    assert Approval.objects.filter(request=req).count() == 2


def test_a_second_approval_from_the_same_approver_does_not_count(
    web_client_for, users, team, task_queue
):
    req = submit(users, team, cls="pci", envs=("prod",))
    client = web_client_for("approver1")
    client.post(reverse("request_approve", args=[req.pk]), {"comment": ""})
    # The page hides Approve and says why ...
    page = client.get(reverse("approval_detail", args=[req.pk])).content.decode()
    assert f'action="{reverse("request_approve", args=[req.pk])}"' not in page
    assert "a second approval from you would not count" in page
    # ... and a direct POST is refused with the service's message.
    again = client.post(reverse("request_approve", args=[req.pk]), {"comment": "again"})
    assert again.status_code == 409
    assert messages(again.content.decode()) == ["You have already approved this request."]
    assert Approval.objects.filter(request=req).count() == 1
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


def test_self_approval_is_refused(web_client_for, users, team):
    _make_lead_an_approver(users)
    req = submit(users, team)
    client = web_client_for("lead")
    page = client.get(reverse("approval_detail", args=[req.pk])).content.decode()
    assert "You submitted this request, so you cannot approve or reject it." in page
    assert f'action="{reverse("request_approve", args=[req.pk])}"' not in page
    assert f'action="{reverse("request_reject", args=[req.pk])}"' not in page
    response = client.post(reverse("request_approve", args=[req.pk]), {"comment": "mine"})
    assert response.status_code == 403
    assert messages(response.content.decode()) == ["You cannot approve your own request."]
    assert not Approval.objects.exists()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


def test_self_rejection_is_refused(web_client_for, users, team):
    _make_lead_an_approver(users)
    req = submit(users, team)
    response = web_client_for("lead").post(
        reverse("request_reject", args=[req.pk]), {"reason": "changed my mind"}
    )
    assert response.status_code == 403
    assert messages(response.content.decode()) == [
        "You cannot reject your own request; cancel it instead."
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_needs_a_reason(web_client_for, users, team, reason):
    req = submit(users, team)
    response = web_client_for("approver1").post(
        reverse("request_reject", args=[req.pk]), {"reason": reason}
    )
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"] == ["Say why the request is rejected."]
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="reason-errors"><li>Say why the request is rejected.</li>' in html
    )
    assert 'aria-invalid="true" autofocus' in html
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING_APPROVAL


def test_a_rejection_with_a_reason_closes_the_request(web_client_for, users, team):
    req = submit(users, team)
    response = web_client_for("approver1").post(
        reverse("request_reject", args=[req.pk]),
        {"reason": f"Use the shared account {SCRIPT}"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("approval_queue"), 302)]
    assert messages(response.content.decode()) == [
        f"Rejected #{req.pk}. The requester is told why."
    ]
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    # The requester sees why, escaped.
    page = web_client_for("lead").get(reverse("request_detail", args=[req.pk])).content.decode()
    assert "Rejected because" in page
    assert "Use the shared account &lt;script&gt;" in page


def test_a_decided_request_takes_no_more_decisions(web_client_for, users, team, task_queue):
    req = submit(users, team)
    account_request_approve(request=req, approver=users["approver1"])
    client = web_client_for("approver2")
    page = client.get(reverse("approval_detail", args=[req.pk])).content.decode()
    assert "it no longer takes approvals or rejections" in page
    response = client.post(reverse("request_approve", args=[req.pk]), {"comment": ""})
    assert response.status_code == 409
    assert messages(response.content.decode()) == [
        f"Request #{req.pk} is provisioning; it no longer takes approvals."
    ]
    assert Approval.objects.filter(request=req).count() == 1
