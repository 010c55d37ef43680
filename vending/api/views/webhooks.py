"""/api/v1/webhooks/: portal admins manage webhook endpoints as on the Webhooks page
(everyone else 403). A new or rotated endpoint's `secret` is in that answer only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.pagination import ApiPagination
from vending.api.permissions import IsAdmin
from vending.api.schema import errors
from vending.api.serializers import StrictInputSerializer
from vending.api.views.common import current_user, paginated, parse_body, parse_id
from vending.models import WebhookEndpoint
from vending.selectors.webhooks import webhook_endpoint_get, webhook_endpoint_list
from vending.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_set_enabled,
    webhook_endpoint_test,
    webhook_endpoint_update,
)
from vending.webhooks import SUBSCRIBABLE

TAG = ["webhooks"]
EVENTS = [k.value for k in SUBSCRIBABLE]


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS))
    enabled = serializers.BooleanField()
    secret_generation = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret: in this answer only.")


class WebhookEndpointInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=500, help_text="http:// or https://")
    events = serializers.ListField(child=serializers.CharField(), min_length=1)


class WebhookEndpointPatchSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(child=serializers.CharField(), min_length=1, required=False)
    enabled = serializers.BooleanField(required=False)


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> dict[str, Any]:
    return {**WebhookEndpointSerializer(endpoint).data, "secret": secret}


def _endpoint(request: Request, raw_id: str) -> WebhookEndpoint:
    pk = parse_id(raw_id, what="webhook endpoint")
    found = webhook_endpoint_get(user=current_user(request), pk=pk)
    if found is None:
        raise NotFound(f"No webhook endpoint with id '{pk}'.")
    return found


class WebhookListCreateApi(APIView):
    pagination_class = ApiPagination
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="webhooks_list",
        summary="List webhook endpoints (admins)",
        responses={200: WebhookEndpointSerializer(many=True), **errors(400, 403, 404)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        endpoints = webhook_endpoint_list(user=current_user(request)).order_by("name", "id")
        return paginated(self, request, endpoints, WebhookEndpointSerializer)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Add a webhook endpoint (admins); its secret is in this answer only",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointWithSecretSerializer, **errors(400, 403)},
        tags=TAG,
    )
    def post(self, request: Request) -> Response:
        data = parse_body(WebhookEndpointInputSerializer, request)
        made = webhook_endpoint_create(actor=current_user(request), **data)
        return Response(_with_secret(made.endpoint, made.secret), status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary="A webhook endpoint (admins)",
        responses={200: WebhookEndpointSerializer, **errors(403, 404)},
        tags=TAG,
    )
    def get(self, request: Request, id: str) -> Response:
        return Response(WebhookEndpointSerializer(_endpoint(request, id)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        summary="Change, enable or disable a webhook endpoint (admins)",
        request=WebhookEndpointPatchSerializer,
        responses={200: WebhookEndpointSerializer, **errors(400, 403, 404)},
        tags=TAG,
    )
    def patch(self, request: Request, id: str) -> Response:
        endpoint = _endpoint(request, id)
        data = parse_body(WebhookEndpointPatchSerializer, request)
        actor = current_user(request)
        enabled = data.pop("enabled", None)
        if data:
            fields = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events}
            webhook_endpoint_update(actor=actor, endpoint=endpoint, **{**fields, **data})
        if enabled is not None:
            webhook_endpoint_set_enabled(actor=actor, endpoint=endpoint, enabled=enabled)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        summary="Delete a webhook endpoint and its delivery log (admins)",
        responses={204: None, **errors(403, 404)},
        tags=TAG,
    )
    def delete(self, request: Request, id: str) -> Response:
        webhook_endpoint_delete(actor=current_user(request), endpoint=_endpoint(request, id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="webhooks_rotate",
        summary="Rotate a webhook endpoint's secret (admins); the new one is in this answer only",
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **errors(403, 404)},
        tags=TAG,
    )
    def post(self, request: Request, id: str) -> Response:
        made = webhook_endpoint_rotate_secret(
            actor=current_user(request), endpoint=_endpoint(request, id)
        )
        return Response(_with_secret(made.endpoint, made.secret))


class WebhookTestApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="webhooks_test",
        summary="Queue a test event to a webhook endpoint (admins)",
        request=None,
        responses={202: None, **errors(400, 403, 404)},
        tags=TAG,
    )
    def post(self, request: Request, id: str) -> Response:
        webhook_endpoint_test(actor=current_user(request), endpoint=_endpoint(request, id))
        return Response(status=status.HTTP_202_ACCEPTED)
