"""REST API tokens: create one (its secret returned once, never stored), revoke one, and
tell which token a secret is.

A secret is `vpt_` and 43 random URL-safe characters (256 bits). The row keeps the 8
characters after the marker (`prefix`, to find the row and tell tokens apart) and the
SHA-256 digest of the whole secret. A plain digest is enough for a random 256-bit secret
(nothing to guess, nothing to precompute), and it keeps tokens valid when
DJANGO_SECRET_KEY is rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from vending.errors import InvalidInput, PermissionDenied
from vending.models import ApiToken
from vending.roles import is_admin, role_groups_held, roles_remember

SECRET_MARKER = "vpt_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 8
NAME_MAX = 100
# A token's last use is written at most this often, not on every call.
LAST_USED_EVERY = timedelta(minutes=1)
_SECRET_MAX = 200


class ApiTokenRefused(Exception):
    """Why a secret authenticates nobody (the API answers 401 with the message)."""


@dataclass(frozen=True)
class NewApiToken:
    token: ApiToken
    secret: str  # shown to its owner once; only its digest is kept


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _checked_name(*, user: User, name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput(
            "Give the token a name (what will use it).", field_errors={"name": ["Required."]}
        )
    if len(name) > NAME_MAX:
        message = f"A token name has at most {NAME_MAX} characters."
        raise InvalidInput(message, field_errors={"name": [message]})
    active = ApiToken.objects.filter(
        user=user, name=name, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if active.exists():
        message = f"You already have an active token named {name!r}: pick another name."
        raise InvalidInput(message, field_errors={"name": [message]})
    return name


def _checked_days(expires_in_days: int | None) -> int:
    days = settings.VENDING_API_TOKEN_DEFAULT_DAYS if expires_in_days is None else expires_in_days
    maximum = settings.VENDING_API_TOKEN_MAX_DAYS
    if not 1 <= days <= maximum:
        message = f"A token expires in 1 to {maximum} days, not {days}."
        raise InvalidInput(message, field_errors={"expires_in_days": [message]})
    return int(days)


def api_token_create(*, user: User, name: str, expires_in_days: int | None = None) -> NewApiToken:
    """A new token for `user`, expiring in `expires_in_days` (VENDING_API_TOKEN_DEFAULT_DAYS
    when None; at most VENDING_API_TOKEN_MAX_DAYS). The secret is in the result only."""
    if not user.is_active:
        raise InvalidInput(f"{user.get_username()} is inactive: an API token would not work.")
    name = _checked_name(user=user, name=name)
    expires_at = timezone.now() + timedelta(days=_checked_days(expires_in_days))
    for _attempt in range(5):
        secret = SECRET_MARKER + secrets.token_urlsafe(32)
        prefix = secret[len(SECRET_MARKER) : len(SECRET_MARKER) + PREFIX_LENGTH]
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user, name=name, prefix=prefix, digest=_digest(secret),
                    expires_at=expires_at,
                )  # fmt: skip
        except IntegrityError:
            continue  # another token has this prefix (48 random bits): draw again
        return NewApiToken(token=token, secret=secret)
    raise RuntimeError("Could not draw an unused token prefix in five attempts")


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke `token`: by its owner or an admin. A revoked token stays revoked (a second
    revocation changes nothing, not even who revoked it)."""
    if actor.pk != token.user_id and not is_admin(actor):
        raise PermissionDenied("Only the token's owner or a portal admin may revoke it.")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    token.refresh_from_db()
    return token


def api_token_authenticate(*, secret: str) -> ApiToken:
    """The active token whose secret this is, its last use noted (at most once a minute).

    Raises `ApiTokenRefused` for anything else: an unknown secret, a revoked or expired
    token, an inactive user.
    """
    prefix = secret[len(SECRET_MARKER) : len(SECRET_MARKER) + PREFIX_LENGTH]
    if not secret.startswith(SECRET_MARKER) or len(secret) > _SECRET_MAX:
        raise ApiTokenRefused("Invalid token.")
    token = (
        ApiToken.objects.select_related("user")
        .annotate(**role_groups_held("user_id"))
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        raise ApiTokenRefused("Invalid token.")
    roles_remember(token.user, vars(token))  # the request's role checks need no query
    now = timezone.now()
    if token.revoked_at is not None:
        raise ApiTokenRefused("This token was revoked; create a new one.")
    if token.expires_at <= now:
        raise ApiTokenRefused(f"This token expired on {token.expires_at:%Y-%m-%d}.")
    if not token.user.is_active:
        raise ApiTokenRefused("Invalid token.")
    stale = now - LAST_USED_EVERY
    if token.last_used_at is None or token.last_used_at <= stale:
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
