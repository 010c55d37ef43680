"""`Idempotency-Key` for POSTs that create something (DESIGN.md section 9).

The same key and body within `VENDING_API_IDEMPOTENCY_HOURS` (24) answers the first
response again and creates nothing; the same key with another body (or on another
endpoint) is a 422. Only successful responses are remembered: a refused request
created nothing, so trying it again is safe and re-checks the input.

Races: the key's row is inserted *before* the work, in the same transaction. Of two
concurrent requests with one key, the second's insert waits on the unique constraint
(PostgreSQL) or on the write lock (SQLite, IMMEDIATE transactions) until the first
commits, then fails and answers the stored response; if the first rolled back, the
second goes ahead as if it were first. No AWS call happens inside that transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from vending.api.errors import ApiError
from vending.models import IdempotencyKey

HEADER = "Idempotency-Key"
# Visible ASCII without spaces, as UUIDs and most clients' keys are.
_KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,255}")
KEY_DESCRIPTION = (
    "Optional, 1-255 visible ASCII characters (a UUID is a good choice). The same key "
    "and body within 24 hours answers the first response and creates nothing new; the "
    "same key with a different body answers 422."
)


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool


def idempotency_key_read(headers: Any) -> str | None:
    """The request's key, None without one; a malformed key is a 400."""
    raw = headers.get(HEADER)
    if raw is None:
        return None
    if not _KEY_FORMAT.fullmatch(raw):
        raise ValidationError({HEADER: ["Use 1-255 visible ASCII characters, no spaces."]})
    return str(raw)


def body_sha256(data: Any) -> str:
    """A digest of the JSON body that ignores key order and whitespace."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.VENDING_API_IDEMPOTENCY_HOURS)


def idempotent(
    *,
    user: User,
    key: str,
    method: str,
    path: str,
    data: Any,
    work: Callable[[], tuple[int, Any]],
) -> Outcome:
    """Run `work` (returning status and JSON body) once per (user, key) and body."""
    digest = body_sha256(data)
    with transaction.atomic():
        IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=_cutoff()).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user, key=key, method=method, path=path[:255], body_sha256=digest
                )
        except IntegrityError:
            first = IdempotencyKey.objects.get(user=user, key=key)
            return _replay(first, method=method, path=path[:255], digest=digest)
        status, body = work()
        row.response_status = status
        row.response_body = body
        row.save(update_fields=["response_status", "response_body"])
    return Outcome(status, body, replayed=False)


def _replay(first: IdempotencyKey, *, method: str, path: str, digest: str) -> Outcome:
    if (first.method, first.path, first.body_sha256) != (method, path, digest):
        raise ApiError(
            f"This {HEADER} was used within the last "
            f"{settings.VENDING_API_IDEMPOTENCY_HOURS} hours with a different request "
            "body; use a new key for a new request.",
            code="idempotency_key_reused",
            fields={HEADER: ["Already used with a different body."]},
        )
    if first.response_status is None:  # only under READ UNCOMMITTED; never expected
        raise ApiError(
            f"A request with this {HEADER} is still in progress; retry in a moment.",
            code="duplicate_request",
        )
    return Outcome(first.response_status, first.response_body, replayed=True)


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Forget keys past their lifetime; they are ignored already, this frees the rows."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=_cutoff(now)).delete()
    return deleted
