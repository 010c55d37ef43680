"""Who calls the API: `Authorization: Token <secret>` (a hashed, named, expiring API
token) or the browser session; and the per-address limit on callers neither names."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from vending.api.throttling import AddressRateThrottle
from vending.models import ApiToken
from vending.services.api_tokens import ApiTokenRefused, api_token_authenticate

KEYWORD = "Token"


def _count_unauthenticated(request: Request) -> None:
    """Count a call no credential authenticated; 429 once its address is over the limit."""
    throttle = AddressRateThrottle()
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        raise exceptions.Throttled(wait=throttle.wait())


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <secret>`; only this header, never a query parameter."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise self._refused(request, "Send the token as `Authorization: Token <secret>`.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise self._refused(request, "Invalid token.") from None
        try:
            token = api_token_authenticate(secret=secret)
        except ApiTokenRefused as exc:
            raise self._refused(request, str(exc)) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD

    @staticmethod
    def _refused(request: Request, message: str) -> exceptions.APIException:
        # Wrong tokens count against the caller's address like anonymous calls do.
        _count_unauthenticated(request)
        return exceptions.AuthenticationFailed(message)


class AnonymousAddressLimit(BaseAuthentication):
    """Last of the authentication classes: it authenticates nobody, it counts each call
    that reached it (none of the others knew the caller) against the caller's address,
    before any permission check answers 401."""

    def authenticate(self, request: Request) -> Any:
        _count_unauthenticated(request)
        return None
