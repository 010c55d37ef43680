"""The webhook pages: portal admins only (everyone else 403, an unknown endpoint 404),
CSRF on every form, the secret shown once and stored nowhere, the delivery log."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.web.conftest import web_client_for as web_client_for  # a fixture
from vending.choices import AuditAction, NotificationChannel
from vending.models import AuditEvent, Notification, WebhookEndpoint
from vending.services.outbox import outbox_send_due

pytestmark = pytest.mark.django_db

FORM = {"name": "platform", "url": "", "events": ["approval_needed", "request_completed"]}


def _routes(pk: int) -> list[tuple[str, str]]:
    return [
        ("get", "/webhooks/"),
        ("post", "/webhooks/"),
        ("get", f"/webhooks/{pk}/"),
        ("post", f"/webhooks/{pk}/"),
        ("post", f"/webhooks/{pk}/enabled/"),
        ("post", f"/webhooks/{pk}/rotate/"),
        ("post", f"/webhooks/{pk}/test/"),
        ("post", f"/webhooks/{pk}/delete/"),
    ]


@pytest.fixture
def made(users, receiver, endpoint_for):  # type: ignore[no-untyped-def]
    return endpoint_for(receiver.url)


@pytest.mark.parametrize("who", ["lead", "approver1", "nobody"])
def test_everyone_but_admins_is_refused_and_nothing_changes(web_client_for, made, who):
    client = web_client_for(who)
    for method, path in _routes(made.endpoint.pk):
        response = getattr(client, method)(path, {**FORM, "url": "http://x.test/"})
        assert response.status_code == 403, (who, method, path)
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.name, endpoint.enabled, endpoint.secret_generation) == ("platform", True, 1)
    assert not Notification.objects.filter(channel=NotificationChannel.WEBHOOK).exists()
    assert "/webhooks/" not in client.get("/").content.decode()  # not in the navigation


def test_an_unknown_endpoint_is_404_for_admins(web_client_for):
    client = web_client_for("admin")
    for method, path in _routes(999):
        if path != "/webhooks/":
            assert getattr(client, method)(path).status_code == 404, path


def test_forms_need_the_csrf_token(users, made):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    for _method, path in _routes(made.endpoint.pk)[1::2]:
        assert client.post(path, {**FORM, "url": "http://x.test/"}).status_code == 403, path
    assert WebhookEndpoint.objects.get().secret_generation == 1


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(web_client_for, users, receiver):
    client = web_client_for("admin")
    response = client.post("/webhooks/", {**FORM, "url": receiver.url})
    assert response.status_code == 201
    secret = response.context["created"].secret
    assert secret.startswith("whsec_") and secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["approval_needed", "request_completed"]
    # Shown once: not on the list or the endpoint's page, and stored nowhere.
    assert secret not in client.get("/webhooks/").content.decode()
    assert secret not in client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    stored = [str(s.get_decoded()) for s in Session.objects.all()]
    stored += [str(e.data) + e.message for e in AuditEvent.objects.all()]
    assert not any(secret in text for text in stored)
    assert AuditEvent.objects.filter(action=AuditAction.WEBHOOK_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/x", "Only http:// and https://"),
        ("http://169.254.169.254/latest/meta-data/", "Link-local"),
        ("https://user:pw@hooks.example.com/", "no user name or password"),
        ("hooks.example.com", "Only http:// and https://"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_error(web_client_for, url, message):
    response = web_client_for("admin").post("/webhooks/", {**FORM, "url": url})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_disable_rotate_test_and_delete(web_client_for, made, receiver):
    client = web_client_for("admin")
    pk = made.endpoint.pk
    edited = client.post(
        f"/webhooks/{pk}/", {"name": "renamed", "url": receiver.url, "events": ["lease_ending"]}
    )
    assert edited.status_code == 302
    assert WebhookEndpoint.objects.get().events == ["lease_ending"]
    rotated = client.post(f"/webhooks/{pk}/rotate/")
    assert rotated.status_code == 200 and rotated.context["rotated"].secret != made.secret
    assert client.post(f"/webhooks/{pk}/test/").status_code == 302
    outbox_send_due()
    (got,) = receiver.received
    assert got.headers["x-vending-event"] == "webhook_test"
    page = client.get(f"/webhooks/{pk}/").content.decode()
    assert "Webhook test" in page and "HTTP 204" in page  # the delivery log
    client.post(f"/webhooks/{pk}/enabled/", {"enabled": "false"})
    assert not WebhookEndpoint.objects.get().enabled
    client.post(f"/webhooks/{pk}/test/")
    assert Notification.objects.filter(channel=NotificationChannel.WEBHOOK).count() == 1
    assert client.post(f"/webhooks/{pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()
    changes = list(
        AuditEvent.objects.filter(action=AuditAction.WEBHOOK_CHANGED).values_list(
            "data__change", flat=True
        )
    )
    assert changes == ["created", "updated", "rotated", "tested", "disabled", "deleted"]
