from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from vending.audit import Actor, team_created
from vending.aws.errors import AwsError
from vending.errors import DuplicateRequest, InvalidInput, PermissionDenied
from vending.models import Team, VendedAccount, slug_validator
from vending.roles import is_admin
from vending.services.account_access import access_sync_enqueue
from vending.services.demo import emulator_team_group_ensure

IDP_GROUP_MAX = 128
logger = logging.getLogger(__name__)


def team_create(
    *, actor: Actor, slug: str, name: str, leads: Iterable[str] = (), idp_group: str = ""
) -> Team:
    """Create a team with its leads (usernames) and its IdP group (Identity Center; empty:
    the blueprint's group_template). Admins only."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can create teams.")
    idp_group = idp_group_clean(idp_group)
    try:
        slug_validator(slug)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field_errors={"slug": list(exc.messages)}) from exc
    if not name.strip():
        raise InvalidInput(
            "A team needs a name.", field_errors={"name": ["This field is required."]}
        )
    usernames = sorted(set(leads))
    users = list(get_user_model().objects.filter(username__in=usernames))
    missing = sorted(set(usernames) - {u.get_username() for u in users})
    if missing:
        raise InvalidInput(
            f"Unknown users: {', '.join(missing)}.",
            field_errors={"leads": [f"Unknown user '{m}'." for m in missing]},
        )
    try:
        with transaction.atomic():
            team = Team.objects.create(slug=slug, name=name.strip(), idp_group=idp_group)
            team.leads.set(users)
            team_created(actor=actor, team=team)
    except IntegrityError as exc:
        raise DuplicateRequest(
            f"A team with slug '{slug}' exists already.",
            field_errors={"slug": ["A team with this slug exists already."]},
        ) from exc
    transaction.on_commit(lambda: _emulator_group(team))
    return team


def _emulator_group(team: Team) -> None:
    """The emulator plays the IdP: the team's group is made there (emulator_team_group_ensure).
    Best effort: without it the team's access fails with the reason, and can be retried."""
    try:
        made = emulator_team_group_ensure(team)
    except AwsError as exc:
        logger.warning(
            "The emulator's identity store did not take team %s's group: %s", team.slug, exc
        )
        return
    if made:
        logger.info("Made IdP group %s in the emulator's identity store", made)


def idp_group_clean(idp_group: str) -> str:
    """A group's display name as the identity store keeps it: 1-128 characters, no
    surrounding blanks ("" for none)."""
    cleaned = idp_group.strip()
    if len(cleaned) > IDP_GROUP_MAX or any(not c.isprintable() for c in cleaned):
        message = f"An IdP group name is at most {IDP_GROUP_MAX} printable characters."
        raise InvalidInput(message, field_errors={"idp_group": [message]})
    return cleaned


def team_idp_group_set(*, actor: Actor, team: Team, idp_group: str) -> Team:
    """Change a team's IdP group (admins): its accounts' access moves to the new group
    (the old one's assignments are removed)."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can change a team's IdP group.")
    idp_group = idp_group_clean(idp_group)
    with transaction.atomic():
        Team.objects.filter(pk=team.pk).update(idp_group=idp_group)
        team.idp_group = idp_group
        transaction.on_commit(lambda: _emulator_group(team))  # before the syncs need it
        for account in VendedAccount.objects.filter(
            Q(request__team=team) | Q(request__isnull=True, team=team)
        ):
            access_sync_enqueue(account)
    return team
