"""What the navigation shows on every page, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db.models import Exists, IntegerField, QuerySet, Subquery, Value

from vending.roles import User, is_approver
from vending.selectors.requests import approval_queue_for, open_requests_of
from vending.selectors.teams import teams_led_by


@dataclass(frozen=True)
class NavCounts:
    is_lead: bool
    approvals_waiting: int  # 0 for anyone who is not an approver
    my_open_requests: int


class _Count(Subquery):
    """How many rows a queryset has, as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet[Any]) -> None:
        super().__init__(queryset.order_by().values("pk"))


def nav_counts_for(*, user: User) -> NavCounts:
    """Whether `user` leads a team, the requests waiting for their approval and their
    own open requests: the same reads as `teams_led_by`, `approval_queue_for` and
    `open_requests_of`, as one query."""
    if not isinstance(user, AuthUser) or not user.is_authenticated:
        return NavCounts(is_lead=False, approvals_waiting=0, my_open_requests=0)
    row = (
        AuthUser.objects.filter(pk=user.pk)
        .values(
            lead=Exists(teams_led_by(user=user).order_by()),
            waiting=_Count(approval_queue_for(user=user)) if is_approver(user) else Value(0),
            mine=_Count(open_requests_of(user=user)),
        )
        .first()
    )
    if row is None:
        return NavCounts(is_lead=False, approvals_waiting=0, my_open_requests=0)
    return NavCounts(
        is_lead=bool(row["lead"]),
        approvals_waiting=int(row["waiting"]),
        my_open_requests=int(row["mine"]),
    )
