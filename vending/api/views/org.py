"""GET /api/v1/org/: the live OU tree, for team leads (without the management account
id), approvers and admins; anybody else is refused (403)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.schema import errors
from vending.api.serializers import OrgTreeSerializer, StrictInputSerializer
from vending.api.views.common import current_user, parse_query
from vending.aws import get_gateway
from vending.errors import PermissionDenied
from vending.selectors.org import ORG_TREE_REFUSED, org_tree_for


class _NoQuery(StrictInputSerializer):
    """The tree takes no query parameters."""


class OrgTreeApi(APIView):
    @extend_schema(
        operation_id="org_retrieve",
        summary="The organization's OU tree",
        description=(
            "Read live from AWS Organizations: each OU with its path, the SCPs attached "
            "directly to it and the number of accounts directly in it. `root` is null "
            "when the AWS account is in no organization; 503 when AWS does not answer. "
            "Team leads, approvers and admins; `management_account_id` is null for team "
            "leads (approvers and admins see it); 403 for anybody else."
        ),
        responses={200: OrgTreeSerializer, **errors(400, 403, 502, 503)},
        tags=["organization"],
    )
    def get(self, request: Request) -> Response:
        parse_query(_NoQuery, request)
        tree = org_tree_for(user=current_user(request), gateway=get_gateway())
        if tree is None:
            raise PermissionDenied(ORG_TREE_REFUSED)
        return Response(OrgTreeSerializer(tree).data)
