"""What AWS refused on a ready account (its alternate contacts, its budget) is tried
again when an admin asks, once the cause is fixed: web and API, audited, admins only,
and nothing is queued when nothing failed. On moto in-process as in test_aws_setup.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.metadata.test_aws_setup import CONTACT, aws, vend  # noqa: F401  (the fixture)
from vending.audit_payloads import AccountSetupRetriedPayload
from vending.audit_reading import audit_event_payload
from vending.aws import PermanentAwsError
from vending.aws.account_contacts import AccountContactsGateway
from vending.aws.budgets import BudgetsGateway
from vending.choices import AuditAction
from vending.errors import InvalidTransition, PermissionDenied
from vending.models import AuditEvent, VendedAccount
from vending.services.account_setup import account_setup_retry

pytestmark = pytest.mark.django_db(transaction=True)  # tasks are queued on commit


def _refused(self, **kwargs):  # type: ignore[no-untyped-def]
    raise PermanentAwsError(
        "Trusted access is not enabled", code="AccessDeniedException", operation="X"
    )


@pytest.fixture
def refused(users, team, aws, task_queue, monkeypatch):  # noqa: F811
    """A ready account whose contacts and budget AWS refused; the cause then fixed."""
    contacts = AccountContactsGateway.put_alternate_contact
    budget = BudgetsGateway.create_budget
    monkeypatch.setattr(AccountContactsGateway, "put_alternate_contact", _refused)
    monkeypatch.setattr(BudgetsGateway, "create_budget", _refused)
    account = vend(users, team, task_queue, contacts={"security": CONTACT}, budget=Decimal("75"))
    assert (account.contacts_status, account.budget_status) == ("failed", "failed")
    monkeypatch.setattr(AccountContactsGateway, "put_alternate_contact", contacts)
    monkeypatch.setattr(BudgetsGateway, "create_budget", budget)
    return account


def test_an_admin_tries_both_again_and_they_are_set(refused, users, task_queue):
    assert account_setup_retry(actor=users["admin"], account=refused) == ["contacts", "budget"]
    refused.refresh_from_db()
    assert (refused.contacts_status, refused.budget_status) == ("pending", "pending")
    task_queue.drain()
    refused.refresh_from_db()
    assert (refused.contacts_status, refused.budget_status) == ("done", "done")
    assert refused.contacts_error == refused.budget_error == ""
    event = AuditEvent.objects.get(action=AuditAction.ACCOUNT_SETUP_RETRIED)
    assert event.actor == users["admin"] and event.account == refused
    payload = audit_event_payload(event)
    assert isinstance(payload, AccountSetupRetriedPayload)
    assert payload.parts == ("contacts", "budget") and "may not call" in payload.errors[0]
    # Nothing failed any more: refused, nothing recorded or queued.
    with pytest.raises(InvalidTransition, match="AWS refused neither"):
        account_setup_retry(actor=users["admin"], account=refused)
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_SETUP_RETRIED).count() == 1


def test_only_admins_and_only_ready_accounts(refused, users):
    for who in (users["lead"], users["approver1"], None):
        with pytest.raises(PermissionDenied):
            account_setup_retry(actor=who, account=refused)
    VendedAccount.objects.filter(pk=refused.pk).update(status="suspended")
    with pytest.raises(InvalidTransition, match="only a ready account"):
        account_setup_retry(actor=users["admin"], account=refused)
    refused.refresh_from_db()
    assert (refused.contacts_status, refused.budget_status) == ("failed", "failed")
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_SETUP_RETRIED).exists()


def _api(user):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    from vending.services.api_tokens import api_token_create

    client = APIClient()
    secret = api_token_create(user=user, name="tests").secret
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def test_the_api_answers_202_and_409(refused, users, task_queue):
    client_for = {name: _api(users[name]) for name in ("lead", "admin")}.__getitem__
    url = f"/api/v1/accounts/{refused.account_id}/setup/retry/"
    assert client_for("lead").post(url).status_code == 403
    response = client_for("admin").post(url)
    assert response.status_code == 202, response.json()
    assert response.json()["contacts_status"] == "pending"
    task_queue.drain()
    again = client_for("admin").post(url)
    assert again.status_code == 409 and "refused neither" in again.json()["error"]["message"]


def test_the_account_page_offers_it_to_admins_only(refused, users, monkeypatch):
    from tests.web.helpers import AwsDown

    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: AwsDown())
    page = f"/accounts/{refused.account_id}/"
    action = f'action="/accounts/{refused.account_id}/setup/retry/"'
    lead = Client()
    lead.force_login(users["lead"])
    assert action not in lead.get(page).content.decode()
    assert lead.post(f"/accounts/{refused.account_id}/setup/retry/").status_code == 302
    assert VendedAccount.objects.get(pk=refused.pk).contacts_status == "failed"
    admin = Client()
    admin.force_login(users["admin"])
    assert action in admin.get(page).content.decode()
    html = admin.post(f"/accounts/{refused.account_id}/setup/retry/", follow=True)
    assert "Contacts and budget queued again." in html.content.decode()
    assert VendedAccount.objects.get(pk=refused.pk).contacts_status == "pending"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users["admin"])
    assert strict.post(f"/accounts/{refused.account_id}/setup/retry/").status_code == 403
