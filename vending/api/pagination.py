"""Page-number pagination that refuses what it cannot honour instead of guessing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50
PAGE_PARAMS = frozenset({"page", "page_size"})


def _bounded_int(raw: str, *, name: str, maximum: int | None) -> int:
    limit = f" and {maximum}" if maximum else ""
    message = f"Give a whole number between 1{limit}."
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValidationError({name: [message]})
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        raise ValidationError({name: [message]})
    return value


class Columns:
    """`queryset` paged as `.values(*columns)` rows, but counted as `queryset` itself: the
    total needs none of the joins that related columns (`request__team__slug`) bring.

    Django's paginator takes it as it takes a QuerySet: `count()`, `ordered`, slicing.
    """

    def __init__(self, queryset: QuerySet[Any], columns: Sequence[str]) -> None:
        self.queryset = queryset
        self.columns = tuple(columns)

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> QuerySet[Any, dict[str, Any]]:
        return self.queryset.values(*self.columns)[page]


class ApiPagination(PageNumberPagination):
    """`?page=N&page_size=M` (M at most 500); a page past the end is a 404.

    A wrong `page` or `page_size` is a 400 rather than silently the default: tooling that
    asked for 5,000 rows should learn it gets at most 500.
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Results per page, 1 to {MAX_PAGE_SIZE} (default 50)."
    page_query_description = "Page number, from 1."

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _bounded_int(raw, name="page_size", maximum=self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        return _bounded_int(raw, name="page", maximum=None)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": self.page_query_description,
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": self.page_size_query_description,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
