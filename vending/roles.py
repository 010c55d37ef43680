"""Who may do what: team leads, approvers and admins (DESIGN.md section 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser

if TYPE_CHECKING:  # the models import this module for their visibility rules
    from vending.models import Team

APPROVERS_GROUP = "approvers"
ADMINS_GROUP = "portal-admins"


class Operator:
    """Someone at the operator's shell (management commands run without `--as`): they
    hold the database already, so every read answers them as it answers an admin."""

    is_authenticated = True
    is_superuser = True
    pk = None

    def __str__(self) -> str:
        return "the operator"


OPERATOR = Operator()

User = AuthUser | AnonymousUser | Operator


def _in_group(user: User, name: str) -> bool:
    if not isinstance(user, AuthUser):
        return False
    # Prefetch-friendly: use the cached groups when a view already loaded them.
    return any(g.name == name for g in user.groups.all())


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _in_group(user, ADMINS_GROUP)))


def is_approver(user: User) -> bool:
    return is_admin(user) or _in_group(user, APPROVERS_GROUP)


def is_lead_of(user: User, team: Team) -> bool:
    return isinstance(user, AuthUser) and team.leads.filter(pk=user.pk).exists()
