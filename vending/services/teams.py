from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from vending.audit import Actor, team_created
from vending.errors import DuplicateRequest, InvalidInput, PermissionDenied
from vending.models import Team, slug_validator
from vending.roles import is_admin


def team_create(*, actor: Actor, slug: str, name: str, leads: Iterable[str] = ()) -> Team:
    """Create a team with its leads (usernames). Admins only."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can create teams.")
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
            team = Team.objects.create(slug=slug, name=name.strip())
            team.leads.set(users)
            team_created(actor=actor, team=team)
    except IntegrityError as exc:
        raise DuplicateRequest(
            f"A team with slug '{slug}' exists already.",
            field_errors={"slug": ["A team with this slug exists already."]},
        ) from exc
    return team
