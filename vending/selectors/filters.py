"""Narrowing a list by the filters a page or an endpoint was given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db.models import QuerySet

_QS = TypeVar("_QS", bound=QuerySet[Any])


def filter_by(qs: _QS, filters: Mapping[str, Any], lookups: Mapping[str, str]) -> _QS:
    """Apply each filter that was given (not None, not empty) through its ORM lookup,
    e.g. `{"team": "request__team__slug"}`; filters without a lookup are left alone."""
    for name, lookup in lookups.items():
        value = filters.get(name)
        if value is not None and value != "":
            qs = qs.filter(**{lookup: value})
    return qs
