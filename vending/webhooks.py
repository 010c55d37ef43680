"""Webhooks: what each endpoint is sent, and how it can tell the portal sent it.

Every event the portal e-mails about (vending/notifications.py) also writes, in the same
transaction, one outbox `Notification` (channel `webhook`) per enabled endpoint that
subscribed to its kind; the outbox sender (vending/services/outbox.py) POSTs it with the
e-mail's retries, backoff and obsolete-state check.

The body is JSON with a Slack-compatible `text`. Each POST carries
`X-Vending-Timestamp: <unix seconds>` and
`X-Vending-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body, keyed by the
endpoint's secret>`, so a receiver checks the exact bytes it got and refuses old
timestamps (replays). The secret is never stored: it is
HMAC-SHA256(VENDING_WEBHOOK_KEY or DJANGO_SECRET_KEY, "webhook:<id>:<generation>"),
shown to the admin when the endpoint is made and when it is rotated (generation + 1).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from vending.choices import NOTIFICATIONS_EMAILED, NotificationChannel, NotificationKind
from vending.models import AccountRequest, Notification, VendedAccount, WebhookEndpoint

SIGNATURE_HEADER = "X-Vending-Signature"
TIMESTAMP_HEADER = "X-Vending-Timestamp"
EVENT_HEADER = "X-Vending-Event"
DELIVERY_HEADER = "X-Vending-Delivery"
# The events an endpoint may subscribe to: those the portal e-mails about.
SUBSCRIBABLE = list(NOTIFICATIONS_EMAILED)
# Where cloud instance metadata answers (169.254.169.254, fd00:ec2::254 is not
# link-local but is refused by name below): never a webhook's destination.
_METADATA = ipaddress.ip_network("fd00:ec2::254/128")


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret, derived (never stored)."""
    master = (settings.VENDING_WEBHOOK_KEY or settings.SECRET_KEY).encode()
    message = f"webhook:{endpoint.pk}:{endpoint.secret_generation}".encode()
    return "whsec_" + hmac.new(master, message, hashlib.sha256).hexdigest()


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Vending-Signature` value of `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def address_refused(address: str) -> bool:
    """Link-local addresses (169.254.0.0/16, fe80::/10: cloud metadata services) are
    never a webhook's destination."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return ip.is_link_local or ip in _METADATA


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook endpoint (None: it can). Only http(s), with a host,
    without credentials in it, never a link-local address."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Only http:// and https:// URLs can receive webhooks."
    if not parts.hostname:
        return "The URL names no host."
    if parts.username or parts.password:
        return "Put no user name or password in the URL: the signature authenticates the portal."
    if address_refused(parts.hostname):
        return "Link-local addresses (169.254.0.0/16, fe80::/10: cloud metadata) are refused."
    return None


def payload(
    *,
    kind: NotificationKind,
    text: str,
    url: str,
    request: AccountRequest | None,
    account: VendedAccount | None,
) -> str:
    """The JSON body: the event, a Slack-compatible `text`, and what it is about."""
    document: dict[str, Any] = {
        "event": kind.value,
        "event_label": kind.label,
        "occurred_at": timezone.now().isoformat(),
        "text": f"{text} <{url}|Open in the portal>" if url else text,
        "url": url,
        "request": None,
        "account": None,
    }
    if request is not None:
        document["request"] = {
            "id": request.pk,
            "kind": request.kind,
            "status": request.status,
            "team": request.team.slug,
            "compliance_class": request.compliance_class,
            "environments": list(request.environments),
        }
    if account is not None:
        document["account"] = {
            "account_id": account.account_id or None,
            "name": account.name,
            "environment": account.environment,
            "status": account.status,
        }
    return json.dumps(document, sort_keys=True)


def webhook_notifications_write(
    *,
    kind: NotificationKind,
    text: str,
    url: str,
    request: AccountRequest | None,
    account: VendedAccount | None,
    state: dict[str, Any],
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[Notification]:
    """One outbox row per enabled endpoint subscribed to `kind` (or per `endpoints`), in
    the caller's transaction; the caller kicks the sender once it commits."""
    if endpoints is None:
        endpoints = [e for e in WebhookEndpoint.objects.filter(enabled=True) if kind in e.events]
    if not endpoints:
        return []
    body = payload(kind=kind, text=text, url=url, request=request, account=account)
    return [
        Notification.objects.create(
            kind=kind,
            channel=NotificationChannel.WEBHOOK,
            endpoint=endpoint,
            request=request,
            account=account,
            state=state,
            recipients=[],
            subject=text[:300],
            body=body,
        )
        for endpoint in endpoints
    ]
