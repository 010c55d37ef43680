"""Idempotency-Key on POST /api/v1/requests/ (races: see test_live_api.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.helpers import error_of
from vending.api.idempotency import idempotency_keys_purge
from vending.api.tasks import purge_idempotency_keys
from vending.models import AccountRequest, IdempotencyKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/"
BODY = {
    "team": "checkout",
    "compliance_class": "general",
    "environments": ["dev"],
    "justification": "CI pipeline",
}


def post(client, body, key):
    return client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_same_key_and_body_answer_the_first_response(client_for, team):
    client = client_for("lead")
    first = post(client, BODY, "key-1")
    assert first.status_code == 201
    assert not first.has_header("Idempotent-Replayed")
    # Same body, keys in another order: still the same request.
    again = post(client, dict(reversed(list(BODY.items()))), "key-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert AccountRequest.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(client_for, team):
    client = client_for("lead")
    assert post(client, BODY, "key-2").status_code == 201
    response = post(client, {**BODY, "environments": ["test"]}, "key-2")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["fields"]
    assert AccountRequest.objects.count() == 1


def test_keys_belong_to_one_user(client_for, users, team):
    team.leads.add(users["lead2"])
    assert post(client_for("lead"), BODY, "shared").status_code == 201
    # Another user's identical key is theirs: it creates (and here collides on e-mails).
    response = post(client_for("lead2"), BODY, "shared")
    assert response.status_code == 409
    assert error_of(response)["code"] == "duplicate_request"


def test_a_refused_request_is_not_remembered(client_for, team):
    client = client_for("lead")
    bad = post(client, {**BODY, "team": "nope"}, "key-3")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert post(client, BODY, "key-3").status_code == 201


def test_a_key_older_than_24_hours_is_forgotten(client_for, team):
    client = client_for("lead")
    first = post(client, BODY, "key-4")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    AccountRequest.objects.get(pk=first.json()["id"]).accounts.update(is_active=False)
    second = post(client, BODY, "key-4")
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\u00e9"])
def test_a_malformed_key_is_a_400(client_for, team, key):
    response = post(client_for("lead"), BODY, key.encode().decode("latin-1"))
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]
    assert not AccountRequest.objects.exists()


def test_the_periodic_purge_drops_expired_keys(client_for, team):
    client = client_for("lead")
    post(client, BODY, "old")
    post(client, {**BODY, "environments": ["qa"]}, "new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )
    assert purge_idempotency_keys.run() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_keys_purge() == 0


def test_the_purge_is_scheduled_and_importable_by_celery(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] == purge_idempotency_keys.name == "vending.api.purge_idempotency_keys"
    assert "vending.api.tasks" in settings.CELERY_IMPORTS
