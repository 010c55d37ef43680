"""GET /api/v1/org/: the live OU tree, for everyone signed in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.schema import errors
from vending.api.serializers import OrgTreeSerializer, StrictInputSerializer
from vending.api.views.common import parse_query
from vending.aws import get_gateway
from vending.selectors.org import org_tree_read


class _NoQuery(StrictInputSerializer):
    """The tree takes no query parameters."""


class OrgTreeApi(APIView):
    @extend_schema(
        operation_id="org_retrieve",
        summary="The organization's OU tree",
        description=(
            "Read live from AWS Organizations: each OU with its path, the SCPs attached "
            "directly to it and the number of accounts directly in it. `root` is null "
            "when the AWS account is in no organization; 503 when AWS does not answer."
        ),
        responses={200: OrgTreeSerializer, **errors(400, 502, 503)},
        tags=["organization"],
    )
    def get(self, request: Request) -> Response:
        parse_query(_NoQuery, request)
        return Response(OrgTreeSerializer(org_tree_read(gateway=get_gateway())).data)
