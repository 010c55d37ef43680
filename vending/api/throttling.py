"""Rate limits per API token (per user for the browser session)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

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
        if isinstance(request.auth, Token):
            # The key itself is a secret: the cache gets a digest of it.
            ident = "token:" + hashlib.sha256(request.auth.pk.encode()).hexdigest()[:32]
        else:
            ident = f"user:{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
