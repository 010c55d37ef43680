"""Who may do what: team leads, approvers and admins (DESIGN.md section 9)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

from vending.models import Team

APPROVERS_GROUP = "approvers"
ADMINS_GROUP = "portal-admins"

User = AuthUser | AnonymousUser


def _in_group(user: User, name: str) -> bool:
    if not user.is_authenticated:
        return False
    # Prefetch-friendly: use the cached groups when a view already loaded them.
    return any(g.name == name for g in user.groups.all())


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _in_group(user, ADMINS_GROUP)))


def is_approver(user: User) -> bool:
    return is_admin(user) or _in_group(user, APPROVERS_GROUP)


def is_lead_of(user: User, team: Team) -> bool:
    return bool(user.is_authenticated and team.leads.filter(pk=user.pk).exists())
