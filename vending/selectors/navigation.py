"""What the navigation shows on every page, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User as AuthUser
from django.db import connection
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
    sql, params = _nav_query(connection.vendor, user.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
        columns = [c[0] for c in cursor.description or ()]
    if values is None:
        return NavCounts(is_lead=False, approvals_waiting=0, my_open_requests=0)
    row = dict(zip(columns, values, strict=True))
    roles_remember(user, row)
    approver = is_approver(user)
    return NavCounts(
        is_lead=bool(row["lead"]),
        approvals_waiting=int(row["waiting"]) if approver else 0,
        my_open_requests=int(row["mine_approver"] if approver else row["mine_other"]),
    )


@lru_cache(maxsize=4096)
def _nav_query(vendor: str, user_pk: int) -> tuple[str, tuple[Any, ...]]:
    """The navigation's query for one user, as SQL. Its text depends on nothing but the
    user's id (both answers of the roles are built into it; the rows are read when it
    runs), so it is built once per user and process: building it through the ORM, four
    subqueries deep, took longer than running it. `vendor`: the database it is for."""
    user = AuthUser(pk=user_pk, is_active=True)
    as_approver, as_other = _with_roles(user, approver=True), _with_roles(user, approver=False)
    query = AuthUser.objects.filter(pk=user_pk).values(
        **role_groups_held(),
        lead=Exists(teams_led_by(user=user).order_by()),
        waiting=_Count(approval_queue_for(user=as_approver)),
        mine_approver=_Count(open_requests_of(user=as_approver)),
        mine_other=_Count(open_requests_of(user=as_other)),
    )[:1]
    sql, params = query.query.sql_with_params()
    return sql, tuple(params)


def _with_roles(user: AuthUser, *, approver: bool) -> AuthUser:
    """A copy of `user` whose role checks answer `approver` (to build a query for each
    answer before the roles are read)."""
    copy = AuthUser(pk=user.pk, is_active=True)
    copy._role_groups = frozenset({APPROVERS_GROUP} if approver else ())  # type: ignore[attr-defined]
    return copy
