"""The audit trail page: approvers and admins only, filters, newest first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import bulk_accounts
from tests.web.helpers import SCRIPT as XSS
from vending.choices import AuditAction
from vending.models import AuditEvent, VendedAccount

pytestmark = pytest.mark.django_db

# -- audit trail --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead", "lead2", "nobody"])
def test_audit_is_403_for_others(web_client_for, fleet, role):
    response = web_client_for(role).get("/audit/", {"team": "checkout"})
    assert response.status_code == 403
    assert "approvers and admins" in response.content.decode()


@pytest.mark.parametrize("role", ["approver1", "admin"])
def test_audit_lists_newest_first(web_client_for, fleet, role):
    response = web_client_for(role).get("/audit/")
    assert response.status_code == 200
    events = list(response.context["page"])
    assert events and [e.pk for e in events] == sorted((e.pk for e in events), reverse=True)
    assert response.context["nav"] == "audit"
    assert "Request submitted" in response.content.decode()


def test_audit_filters(web_client_for, users, fleet):
    general, pci = fleet["general"], fleet["pci"]
    AuditEvent.objects.create(
        action=AuditAction.REQUEST_APPROVAL_ADDED,
        actor=users["approver1"],
        team=general.team,
        request=general,
        message=XSS,
    )
    client = web_client_for("admin")

    def actions(**query):
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return [(e.action, e.request_id) for e in response.context["page"]]

    assert actions(team="payments") == [("request.submitted", pci.pk)]
    assert actions(request=str(general.pk), action="request.approval_added") == [
        ("request.approval_added", general.pk)
    ]
    assert actions(actor="approver1") == [("request.approval_added", general.pk)]
    today = timezone.now().date()
    assert len(actions(since=str(today), until=str(today))) == 3
    assert actions(since=str(today + timedelta(days=1))) == []
    assert actions(until=str(today - timedelta(days=1))) == []
    html = client.get("/audit/").content.decode()
    assert XSS not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "query",
    [
        {"request": "abc"},
        {"request": "0"},
        {"action": "request.exploded"},
        {"since": "yesterday"},
        {"since": "2030-01-02", "until": "2030-01-01"},
    ],
)
def test_audit_bad_filters_are_shown_not_500(web_client_for, fleet, query):
    response = web_client_for("approver1").get("/audit/", query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize("count", [5, 60])
def test_audit_costs_the_same_queries_for_5_or_60_rows(
    web_client_for, users, team, django_assert_max_num_queries, count
):
    bulk_accounts(team=team, requester=users["lead"], count=count)
    accounts = list(VendedAccount.objects.select_related("request"))
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.ACCOUNT_STATUS_CHANGED,
            actor=users["approver1"] if i % 2 else None,
            team=team,
            request=a.request,
            account=a,
            from_status="placing",
            to_status="ready",
            data={"i": i},
        )
        for i, a in enumerate(accounts)
    )
    client = web_client_for("approver1")
    with django_assert_max_num_queries(10):
        response = client.get("/audit/", {"team": "checkout"})
    assert len(response.context["page"]) == min(count, 50)


def test_audit_empty_state(web_client_for, users):
    assert "No events yet" in web_client_for("admin").get("/audit/").content.decode()
