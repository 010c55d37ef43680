"""What the navigation shows on every page, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db.models import Exists, IntegerField, QuerySet, Subquery

from vending.roles import (
    APPROVERS_GROUP,
    User,
    is_approver,
    role_groups_held,
    roles_remember,
)
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
    `open_requests_of`, as one query, which also reads the user's roles (kept on `user`,
    so the request's role checks make no query of their own).

    The counts depend on the roles the same query reads: both answers are counted, as an
    approver and as someone who is not, with the selectors' own rules, and the roles
    pick one."""
    if not isinstance(user, AuthUser) or not user.is_authenticated:
        return NavCounts(is_lead=False, approvals_waiting=0, my_open_requests=0)
    as_approver, as_other = _with_roles(user, approver=True), _with_roles(user, approver=False)
    row = (
        AuthUser.objects.filter(pk=user.pk)
        .values(
            **role_groups_held(),
            lead=Exists(teams_led_by(user=user).order_by()),
            waiting=_Count(approval_queue_for(user=as_approver)),
            mine_approver=_Count(open_requests_of(user=as_approver)),
            mine_other=_Count(open_requests_of(user=as_other)),
        )
        .first()
    )
    if row is None:
        return NavCounts(is_lead=False, approvals_waiting=0, my_open_requests=0)
    roles_remember(user, row)
    approver = is_approver(user)
    return NavCounts(
        is_lead=bool(row["lead"]),
        approvals_waiting=int(row["waiting"]) if approver else 0,
        my_open_requests=int(row["mine_approver"] if approver else row["mine_other"]),
    )


def _with_roles(user: AuthUser, *, approver: bool) -> AuthUser:
    """A copy of `user` whose role checks answer `approver` (to build a query for each
    answer before the roles are read)."""
    copy = AuthUser(pk=user.pk, username=user.username, is_active=user.is_active)
    copy._role_groups = frozenset({APPROVERS_GROUP} if approver else ())  # type: ignore[attr-defined]
    return copy
