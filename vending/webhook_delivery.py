"""One webhook POST: signed at the moment it is sent, within a time limit, redirects not
followed, and never to a link-local address (the destination's addresses are resolved
and checked first; see docs/security.md for what that does and does not stop).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from vending.models import Notification
from vending.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    address_refused,
    endpoint_secret,
    sign,
)


@dataclass(frozen=True)
class Delivery:
    """What one try got: the receiver's status (None: no answer) or why not."""

    status_code: int | None
    error: str
    milliseconds: int
    # A try that can never succeed as configured (a refused address): no retry.
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is the receiver's answer, not a new destination


_OPENER = urllib.request.build_opener(_NoRedirects)


def webhook_post(notification: Notification) -> Delivery:
    """POST the notification's body to its endpoint, signed now."""
    endpoint = notification.endpoint
    assert endpoint is not None
    started = time.monotonic()

    def done(status: int | None, error: str = "", *, permanent: bool = False) -> Delivery:
        ms = int((time.monotonic() - started) * 1000)
        return Delivery(status, error[:2000], ms, permanent)

    refused = _refused_address(endpoint.url)
    if refused:
        return done(None, refused, permanent=True)
    body = notification.body.encode()
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (http(s) only: checked on save)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "account-vending-portal-webhooks",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(
                secret=endpoint_secret(endpoint), timestamp=timestamp, body=body
            ),
            EVENT_HEADER: notification.kind,
            DELIVERY_HEADER: str(notification.pk),
        },
    )
    try:
        with _OPENER.open(request, timeout=settings.VENDING_WEBHOOK_TIMEOUT_SECONDS) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        return done(exc.code, f"HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return done(None, f"{type(exc).__name__}: {reason}")
    return done(status, "" if 200 <= status < 300 else f"HTTP {status}")


def _refused_address(url: str) -> str:
    """Why the URL's host may not be called now ("" when it may): it resolves to a
    link-local address. A host that does not resolve is left to the POST to report."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return ""
    for info in infos:
        address = str(info[4][0])
        if address_refused(address):
            return f"{host} resolves to {address}, a link-local address: refused"
    return ""
