"""What every API view shares: parsing input, paging output, reading path ids."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer
from rest_framework.views import APIView

from vending.api.errors import error_response
from vending.api.pagination import PAGE_PARAMS, ApiPagination, Columns

# Ids are 64-bit in every supported database; larger numbers name nothing.
_MAX_ID = 2**63 - 1


def current_user(request: Request) -> User:
    """The signed-in user (every API view requires one before it runs)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def parse_body(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def parse_query(
    serializer_class: type[Serializer], request: Request, *, paged: bool = False
) -> dict[str, Any]:
    """Validated query parameters; unknown ones are refused like unknown body fields."""
    skip = PAGE_PARAMS if paged else frozenset()
    params = {k: request.query_params.get(k) for k in request.query_params if k not in skip}
    serializer = serializer_class(data=params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def parse_id(raw: str, *, what: str) -> int:
    """A positive integer path id, or 404 (a malformed id names nothing)."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= _MAX_ID:
        return int(raw)
    raise NotFound(f"No {what} with id '{raw[:40]}'.")


def paginated(
    view: APIView,
    request: Request,
    queryset: QuerySet[Any] | Columns,
    serializer_class: type[BaseSerializer[Any]],
) -> Response:
    paginator = ApiPagination()
    # Django's paginator needs count() and slicing only, which Columns has too.
    rows = cast("QuerySet[Any]", queryset)
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class NotFoundApi(APIView):
    """Any other path under /api/v1/: a JSON 404 (after authentication), not an HTML page."""

    schema = None  # not an endpoint: left out of the OpenAPI schema

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message = "There is no API endpoint at this path."
        if not request.path.endswith("/"):
            message += " API paths end with '/', e.g. /api/v1/requests/."
        return error_response("not_found", message)

    get = post = put = patch = delete = _not_found
