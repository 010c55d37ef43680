"""Narrowing a list by the filters a page or an endpoint was given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

_QS = TypeVar("_QS", bound=QuerySet[Any])


def filter_by(qs: _QS, filters: Mapping[str, Any], lookups: Mapping[str, str]) -> _QS:
    """Apply each filter that was given (not None, not empty) through its ORM lookup,
    e.g. `{"team": "request__team__slug"}`; filters without a lookup are left alone."""
    for name, lookup in lookups.items():
        value = filters.get(name)
        if value is not None and value != "":
            qs = qs.filter(**{lookup: value})
    return qs


_ARRAY_TYPES = frozenset({"varchar", "bigint"})


def any_of(values: list[Any], sql_type: str) -> list[Any] | RawSQL:
    """The right side of an `__in` lookup over many values (a page's 500 ids): on
    PostgreSQL one array parameter, unnested, instead of one placeholder per value, which
    the driver would bind one by one; elsewhere the list itself. `sql_type` is the
    column's SQL type (`varchar`, `bigint`)."""
    if sql_type not in _ARRAY_TYPES:
        raise ValueError(f"any_of: unknown SQL type {sql_type!r}")
    if connection.vendor != "postgresql":
        return values
    # The values are a bound parameter; the type is one of _ARRAY_TYPES.
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", (values,))  # noqa: S611
