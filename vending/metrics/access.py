"""Who may scrape `/metrics`: a bearer token, or a request straight from an allowed network.

The token (`VENDING_METRICS_TOKEN`) is compared in constant time, through digests of
equal length, so neither its value nor its length leaks through timing. The address is
the TCP peer's (`REMOTE_ADDR`), never one a header claims. A request that came through a
reverse proxy carries the proxy's address there (often loopback, on the same host), so a
request with a forwarding header never passes by address, only by token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
TOKEN_MIN_LENGTH = 32


def metrics_settings_validate() -> None:
    """Refuse to start (the app's `ready()`) on a short token or a network that is not one,
    naming the variable."""
    token = settings.VENDING_METRICS_TOKEN
    if token and len(token) < TOKEN_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"VENDING_METRICS_TOKEN must be at least {TOKEN_MIN_LENGTH} characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    for cidr in settings.VENDING_METRICS_ALLOWED_NETWORKS:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"VENDING_METRICS_ALLOWED_NETWORKS: {cidr!r} is not a network (CIDR): {exc}"
            ) from exc


def metrics_scrape_allowed(request: HttpRequest) -> bool:
    return _bearer_token_matches(request.META.get("HTTP_AUTHORIZATION", "")) or (
        _from_allowed_network(request)
    )


def _bearer_token_matches(authorization: str) -> bool:
    expected = settings.VENDING_METRICS_TOKEN
    scheme, _, given = authorization.strip().partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(_digest(given.strip()), _digest(expected))


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _from_allowed_network(request: HttpRequest) -> bool:
    if any(request.META.get(header) for header in _FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    networks = _networks(tuple(settings.VENDING_METRICS_ALLOWED_NETWORKS))
    return any(address in network for network in networks)


@cache
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    # Checked by metrics_settings_validate when the app loads.
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
