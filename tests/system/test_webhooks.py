"""Webhooks through real processes: a request's event reaches a receiver on 127.0.0.1,
signed as documented, after the worker retried it while the receiver was down."""

from __future__ import annotations

import json

import pytest

from tests.system.harness import free_port, wait_for
from tests.webhooks.independent import derived_secret, verify
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

MASTER_KEY = "system-test-webhook-master-key"

MAKE_ENDPOINT = """
from django.contrib.auth.models import User
from vending.services.webhooks import webhook_endpoint_create
made = webhook_endpoint_create(actor=User.objects.get(username="admin"), name="receiver",
    url="{url}", events=["approval_needed"])
print(made.endpoint.pk)
"""

ATTEMPTS = """
import json
from vending.models import WebhookAttempt
print(json.dumps([[a.status_code, a.error] for a in
    WebhookAttempt.objects.order_by("at", "id")]))
"""


def test_a_request_event_is_delivered_signed_after_the_receiver_comes_up(make_portal):
    portal, _emulator = make_portal()
    portal.env.update(
        VENDING_WEBHOOK_KEY=MASTER_KEY,
        VENDING_OUTBOX_RETRY_SECONDS="1",
        VENDING_OUTBOX_RETRY_MAX_SECONDS="2",
        VENDING_OUTBOX_INTERVAL_SECONDS="1",
    )
    receiver = Receiver(port=free_port())  # down: nobody listens on its port yet
    try:
        made = portal.manage("shell", "-c", MAKE_ENDPOINT.format(url=receiver.url))
        endpoint_id = int(made.strip().splitlines()[-1])
        portal.start_worker()
        request_id = portal.submit(team="checkout", cls="general", envs=["dev"])

        def attempts() -> list[list]:
            return json.loads(portal.manage("shell", "-c", ATTEMPTS).strip().splitlines()[-1])

        wait_for(lambda: attempts(), timeout=60, what="a first delivery attempt")
        assert receiver.received == []
        first_status, first_error = attempts()[0]
        assert first_status is None and "refused" in first_error.lower()

        receiver.start()
        wait_for(lambda: receiver.received, timeout=60, what="the webhook, retried")
        (got,) = receiver.received
        secret = derived_secret(MASTER_KEY, endpoint_id, 1)
        assert verify(secret, got.headers, got.body), got.headers
        document = json.loads(got.body)
        assert document["event"] == "approval_needed"
        assert document["request"]["id"] == request_id
        assert document["text"]
        wait_for(lambda: attempts()[-1][0] == 204, timeout=30, what="the logged delivery")
        assert len(attempts()) >= 2
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{portal.logs()}") from exc
    finally:
        receiver.stop()
