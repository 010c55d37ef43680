"""How a receiver verifies a webhook, written from the documentation alone (README,
"Webhooks"), not from vending/webhooks.py: the tests check the portal against it."""

from __future__ import annotations

import hashlib
import hmac
import time


def derived_secret(master_key: str, endpoint_id: int, generation: int) -> str:
    """docs/security.md: HMAC-SHA256(master, "webhook:<id>:<generation>"), hex, "whsec_"."""
    digest = hmac.new(
        master_key.encode(), f"webhook:{endpoint_id}:{generation}".encode(), hashlib.sha256
    ).hexdigest()
    return f"whsec_{digest}"


def verify(secret: str, headers: dict[str, str], body: bytes, *, max_age: int = 300) -> bool:
    """`headers` with lower-case names (HTTP header names are case-insensitive)."""
    timestamp = headers["x-vending-timestamp"]
    if abs(time.time() - int(timestamp)) > max_age:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(headers["x-vending-signature"], "sha256=" + expected.hexdigest())
