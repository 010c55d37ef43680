"""Rate limits per API token (per user for the browser session), and per client address
for calls without valid credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from vending.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.views import APIView


class TokenRateThrottle(SimpleRateThrottle):
    """`VENDING_API_THROTTLE_USER` requests per token; over it, 429 with Retry-After.

    The rate is read when a request arrives (not when the class is imported), so a
    changed setting takes effect without reloading the module.
    """

    scope = "user"

    def get_rate(self) -> str | None:
        return str(settings.VENDING_API_THROTTLE_USER) or None

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # refused with 401 before any throttle is consulted
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        else:
            ident = f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(SimpleRateThrottle):
    """`VENDING_API_THROTTLE_ANON` calls without valid credentials per client address
    (the peer's, or per VENDING_PROXY_COUNT through X-Forwarded-For); counted by the
    authentication classes, before any 401 is answered."""

    scope = "anon"

    def get_rate(self) -> str | None:
        return str(settings.VENDING_API_THROTTLE_ANON) or None

    def get_cache_key(self, request: Request, view: APIView | None) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
