"""Membership tests over many values, in the form PostgreSQL answers best.

Django writes `x IN (v1, ..., v500)` with one placeholder per value, which the driver
binds one by one, and `x IN (subquery)` as a semi-join the planner may answer by reading
a whole table. On PostgreSQL these send one array instead: `x IN (SELECT unnest(%s))`
for a list of values, and `x = ANY(ARRAY(subquery))` for a subquery, which the planner
runs once, first, and answers with the column's index. Other databases get the plain
forms.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet
from django.db.models.expressions import RawSQL

_ARRAY_TYPES = frozenset({"varchar", "bigint"})


def any_of(values: list[Any], sql_type: str) -> list[Any] | RawSQL:
    """The right side of an `__in` lookup over many values (a page's 500 ids). `sql_type`
    is the column's SQL type (`varchar`, `bigint`)."""
    if sql_type not in _ARRAY_TYPES:
        raise ValueError(f"any_of: unknown SQL type {sql_type!r}")
    if connection.vendor != "postgresql":
        return values
    # The values are a bound parameter; the type is one of _ARRAY_TYPES.
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (values,))  # noqa: S611


class _InArray(Lookup):
    """`lhs = ANY(ARRAY(subquery))`: the subquery runs once, as an InitPlan."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY({rhs}))", (*lhs_params, *rhs_params)


def pk_in(subquery: QuerySet[Any]) -> Q:
    """`pk IN (subquery)` (a query of `pk` values, which may be a union), computed once
    and looked up by the primary key's index on PostgreSQL."""
    return column_in("pk", subquery)


def column_in(column: str, subquery: QuerySet[Any]) -> Q:
    """`column IN (subquery)`, computed once and looked up by the column's index on
    PostgreSQL: also inside an OR, where the semi-join would make the planner test every
    row against the subquery's result."""
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": subquery})
    return Q(_InArray(F(column), subquery.query))
