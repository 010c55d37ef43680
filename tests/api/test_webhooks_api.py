"""/api/v1/webhooks/: the Webhooks page's services for admins' tooling; everyone else 403."""

from __future__ import annotations

import pytest

from vending.models import Notification, WebhookEndpoint

pytestmark = pytest.mark.django_db

BODY = {
    "name": "platform",
    "url": "https://hooks.example.com/vending",
    "events": ["approval_needed"],
}


@pytest.mark.parametrize("who", ["lead", "approver1", "nobody"])
def test_non_admins_are_refused(client_for, who):
    client = client_for(who)
    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.post("/api/v1/webhooks/", BODY, format="json").status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_manages_an_endpoint(client_for):
    client = client_for("admin")
    made = client.post("/api/v1/webhooks/", BODY, format="json")
    assert made.status_code == 201
    secret, pk = made.json()["secret"], made.json()["id"]
    assert secret.startswith("whsec_")
    listed = client.get("/api/v1/webhooks/").json()
    assert [e["id"] for e in listed["results"]] == [pk]
    assert "secret" not in client.get(f"/api/v1/webhooks/{pk}/").json()
    patched = client.patch(f"/api/v1/webhooks/{pk}/", {"events": ["lease_ending"]}, format="json")
    assert patched.status_code == 200 and patched.json()["events"] == ["lease_ending"]
    rotated = client.post(f"/api/v1/webhooks/{pk}/rotate/")
    assert rotated.status_code == 200 and rotated.json()["secret"] != secret
    assert client.post(f"/api/v1/webhooks/{pk}/test/").status_code == 202
    assert Notification.objects.filter(endpoint_id=pk, kind="webhook_test").count() == 1
    disabled = client.patch(f"/api/v1/webhooks/{pk}/", {"enabled": False}, format="json")
    assert disabled.json()["enabled"] is False
    assert client.post(f"/api/v1/webhooks/{pk}/test/").status_code == 400
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert client.get(f"/api/v1/webhooks/{pk}/").status_code == 404


def test_a_bad_url_is_a_field_error(client_for):
    answer = client_for("admin").post(
        "/api/v1/webhooks/", {**BODY, "url": "file:///etc/passwd"}, format="json"
    )
    assert answer.status_code == 400
    assert "Only http:// and https://" in str(answer.json())
    assert not WebhookEndpoint.objects.exists()
