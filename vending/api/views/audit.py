"""GET /api/v1/audit-events/: the append-only trail, for approvers and admins."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.pagination import ApiPagination
from vending.api.permissions import IsApproverOrAdmin
from vending.api.schema import errors
from vending.api.serializers import AuditEventFilterSerializer, AuditEventSerializer
from vending.api.views.common import current_user, paginated, parse_query
from vending.selectors.audit import audit_event_list_for


class AuditEventListApi(APIView):
    pagination_class = ApiPagination
    permission_classes = [IsApproverOrAdmin]

    @extend_schema(
        operation_id="audit_events_list",
        summary="List audit events (approvers and admins)",
        description="Oldest first; new events only ever append, so pages stay stable.",
        parameters=[AuditEventFilterSerializer],
        responses={200: AuditEventSerializer(many=True), **errors(400, 403, 404)},
        tags=["audit"],
    )
    def get(self, request: Request) -> Response:
        user = current_user(request)
        filters = parse_query(AuditEventFilterSerializer, request, paged=True)
        return paginated(
            self, request, audit_event_list_for(user=user, filters=filters), AuditEventSerializer
        )
