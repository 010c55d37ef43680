"""Password sign-in throttling (django-axes): who the client is, what is counted, and
the audit of each lockout. Settings: VENDING_SIGNIN_* and VENDING_PROXY_COUNT."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vending.services.signin import signin_lockout_record


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the peer's, or with VENDING_PROXY_COUNT proxies in front,
    the one that many hops from the right of X-Forwarded-For (DRF's NUM_PROXIES rule).

    Hops a client wrote itself sit further left and are never read.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    count = int(settings.VENDING_PROXY_COUNT)
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    if count <= 0 or not hops:
        return peer
    candidate = hops[-min(count, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def is_not_a_password_signin(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Only password sign-ins are counted and refused: single sign-on (which passes no
    password) is left to the identity provider, even from a locked-out address."""
    if credentials is None:
        return False
    return not credentials.get("password")


def audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **_: Any
) -> None:
    """django-axes' `user_locked_out` signal: sent at every failure from the limit on."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    signin_lockout_record(
        username=username or "", ip_address=ip_address or "", failures=int(failures)
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """The page a locked-out sign-in gets instead of the form: 429, and how long to wait."""
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": settings.VENDING_SIGNIN_COOLOFF_MINUTES},
        status=429,
    )
