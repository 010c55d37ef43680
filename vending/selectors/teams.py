"""Reads of teams: who leads what, and which teams a person may pick or filter by."""

from __future__ import annotations

from django.db.models import QuerySet

from vending.models import Team
from vending.roles import User


def team_list_for(*, user: User) -> QuerySet[Team]:
    """The teams `user` may see, with their leads, ordered by slug."""
    return Team.objects.visible_to(user).prefetch_related("leads").order_by("slug")


def team_get(*, slug: str) -> Team | None:
    return Team.objects.filter(slug=slug).first()


def teams_led_by(*, user: User) -> QuerySet[Team]:
    return Team.objects.led_by(user).order_by("slug")


def team_choices_for(*, user: User) -> QuerySet[Team]:
    """Teams `user` may filter lists by: every team for approvers and admins, else those
    they lead."""
    return Team.objects.choosable_by(user).order_by("slug")
