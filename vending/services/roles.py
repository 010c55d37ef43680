"""Portal roles: who approves and who administers, changed (and audited) in one place.

The Django admin and single sign-on both change the two role groups through
`user_role_set`, so every change leaves an audit event saying who, whom and which group.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from vending.audit import Actor, role_changed
from vending.choices import RoleChangeSource
from vending.errors import InvalidInput, PermissionDenied
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP, is_admin

ROLE_GROUPS = frozenset({APPROVERS_GROUP, ADMINS_GROUP})


def user_role_set(
    *, actor: Actor, user: User, group: str, member: bool, source: RoleChangeSource
) -> bool:
    """Put `user` in (`member`) or out of the role group `group`; True if that changed.

    `actor` None is the portal itself applying the identity provider's groups; a person
    must be a portal admin. Repeating a change does nothing and audits nothing.
    """
    if group not in ROLE_GROUPS:
        raise InvalidInput(f"'{group}' is not a portal role group.")
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can change who approves or administers.")
    with transaction.atomic():
        # Serialises two sign-ins (or an admin and a sign-in) changing the same person.
        User.objects.select_for_update().filter(pk=user.pk).first()
        role, _ = Group.objects.get_or_create(name=group)
        if user.groups.filter(pk=role.pk).exists() == member:
            return False
        if member:
            user.groups.add(role)
        else:
            user.groups.remove(role)
        role_changed(actor=actor, user=user, group=group, added=member, source=source)
    return True
