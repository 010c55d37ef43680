"""GET/POST /api/v1/teams/: approvers and admins read every team, leads theirs, others
none; admins create."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.pagination import ApiPagination
from vending.api.schema import TEAM_EXAMPLE, errors
from vending.api.serializers import (
    StrictInputSerializer,
    TeamCreateInputSerializer,
    TeamSerializer,
)
from vending.api.views.common import current_user, paginated, parse_body, parse_query
from vending.selectors.teams import team_list_for
from vending.services.teams import team_create

TAG = ["teams"]


class _NoFilters(StrictInputSerializer):
    """Teams take no filters; any query parameter but paging is refused."""


class TeamListCreateApi(APIView):
    pagination_class = ApiPagination

    @extend_schema(
        operation_id="teams_list",
        summary="List teams",
        description=(
            "The teams the caller may see, with their leads, ordered by slug: every team "
            "for approvers and admins, the teams they lead for anyone else (none for "
            "someone with no role)."
        ),
        responses={200: TeamSerializer(many=True), **errors(400, 404)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        parse_query(_NoFilters, request, paged=True)
        return paginated(self, request, team_list_for(user=current_user(request)), TeamSerializer)

    @extend_schema(
        operation_id="teams_create",
        summary="Create a team (admins)",
        request=TeamCreateInputSerializer,
        examples=[TEAM_EXAMPLE],
        responses={201: TeamSerializer, **errors(400, 403, 409)},
        tags=TAG,
    )
    def post(self, request: Request) -> Response:
        data = parse_body(TeamCreateInputSerializer, request)
        team = team_create(actor=current_user(request), **data)
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)
