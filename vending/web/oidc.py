"""Single sign-on: the OpenID Connect backend (mozilla-django-oidc), enabled by settings.

A person signing in through the identity provider (IdP) is matched to a portal user by
e-mail (created on first sign-in), their name and e-mail follow the IdP's claims, and
the IdP's group claim decides the portal's two role groups at every sign-in:

* `approvers`     when one of `VENDING_OIDC_APPROVER_GROUPS` is in the claim,
* `portal-admins` when one of `VENDING_OIDC_ADMIN_GROUPS` is.

Only those two groups are synced (added and removed), and only a role whose IdP group
list is configured: with `VENDING_OIDC_ADMIN_GROUPS` empty, portal admins stay managed
in the Django admin. Team leads stay managed in the portal (the Django admin). Each role
added or removed is an audit event (`role.changed`) with no actor: the portal did it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from vending.choices import RoleChangeSource
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP
from vending.services.roles import user_role_set

logger = logging.getLogger(__name__)

Claims = Mapping[str, Any]
# What Django's username validator accepts (letters, digits and @.+-_), at most 150.
_USERNAME = re.compile(r"[\w.@+-]{1,150}")


@dataclass(frozen=True)
class GroupSync:
    added: tuple[str, ...]
    removed: tuple[str, ...]


def idp_groups(claims: Claims, claim: str) -> set[str]:
    """The IdP groups named in `claim`: a list of strings, or one string."""
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return {v for v in value if isinstance(v, str)}
    return set()


def role_mapping() -> dict[str, frozenset[str]]:
    """Portal role group -> the IdP groups granting it; roles without IdP groups are
    left out (not synced)."""
    mapping = {
        APPROVERS_GROUP: frozenset(settings.VENDING_OIDC_APPROVER_GROUPS),
        ADMINS_GROUP: frozenset(settings.VENDING_OIDC_ADMIN_GROUPS),
    }
    return {role: groups for role, groups in mapping.items() if groups}


def portal_roles_from_claims(claims: Claims) -> dict[str, bool]:
    """For each synced role group, whether the claims grant it."""
    granted = idp_groups(claims, settings.VENDING_OIDC_GROUPS_CLAIM)
    return {role: bool(granted & idp) for role, idp in role_mapping().items()}


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """Creates and updates portal users from the IdP's claims, and syncs their roles."""

    def verify_claims(self, claims: Claims) -> bool:
        # An address the IdP says it has not verified must not take over a portal user.
        if not claims.get("email") or claims.get("email_verified") is False:
            return False
        return bool(super().verify_claims(claims))

    def get_username(self, claims: Claims) -> str:
        """The username claim when Django accepts it and nobody has it; else the
        library's hash of the e-mail (stable, never clashes)."""
        wanted = str(claims.get(settings.VENDING_OIDC_USERNAME_CLAIM) or "")
        if _USERNAME.fullmatch(wanted) and not User.objects.filter(username=wanted).exists():
            return wanted
        return str(super().get_username(claims))

    def create_user(self, claims: Claims) -> User:
        with transaction.atomic():
            user: User = super().create_user(claims)
            self._update_profile(user, claims)
            self.sync_roles(user, claims)
        logger.info("single sign-on created user %s", user.get_username())
        return user

    def update_user(self, user: User, claims: Claims) -> User:
        with transaction.atomic():
            self._update_profile(user, claims)
            self.sync_roles(user, claims)
        return user

    def _update_profile(self, user: User, claims: Claims) -> None:
        fields = {
            "email": str(claims.get("email") or user.email)[:254],
            "first_name": str(claims.get("given_name") or user.first_name)[:150],
            "last_name": str(claims.get("family_name") or user.last_name)[:150],
        }
        changed = [name for name, value in fields.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, fields[name])
        if changed:
            user.save(update_fields=changed)

    def sync_roles(self, user: User, claims: Claims) -> GroupSync:
        """Add or remove the `approvers` / `portal-admins` groups as the claims say;
        the user's other groups are left alone."""
        wanted = portal_roles_from_claims(claims)
        if wanted and settings.VENDING_OIDC_GROUPS_CLAIM not in claims:
            logger.warning(
                "single sign-on: the IdP sent no %r claim for %s; their portal roles are "
                "removed (is the claim mapped, or its scope requested?)",
                settings.VENDING_OIDC_GROUPS_CLAIM,
                user.get_username(),
            )
        current = set(user.groups.filter(name__in=list(wanted)).values_list("name", flat=True))
        added = sorted(role for role, on in wanted.items() if on and role not in current)
        removed = sorted(role for role, on in wanted.items() if not on and role in current)
        # Each change is audited with no actor: the portal, acting on the IdP's claim.
        for name in added:
            user_role_set(
                actor=None, user=user, group=name, member=True, source=RoleChangeSource.SSO
            )
        for name in removed:
            user_role_set(
                actor=None, user=user, group=name, member=False, source=RoleChangeSource.SSO
            )
        if added or removed:
            logger.info(
                "single sign-on roles of %s: added %s, removed %s",
                user.get_username(),
                added or "none",
                removed or "none",
            )
        return GroupSync(tuple(added), tuple(removed))
