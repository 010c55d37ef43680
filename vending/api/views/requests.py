"""/api/v1/requests/: submit, list, read, preview, approve, reject, cancel.

Each view validates its input, calls one service and renders the request again; the
services decide who may do what (self-approval, two approvers for regulated prod, ...).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.idempotency import idempotency_key_read, idempotent
from vending.api.metadata_serializers import metadata_input
from vending.api.pagination import ApiPagination
from vending.api.request_kinds import (
    InvitePreviewSerializer,
    LifecyclePreviewSerializer,
    RequestCreateInputSerializer,
    RequestPreviewInputSerializer,
)
from vending.api.schema import (
    IDEMPOTENCY_KEY,
    PREVIEW_EXAMPLE,
    REJECT_EXAMPLE,
    REPLAYED_HEADER,
    REQUEST_EXAMPLE,
    errors,
    location_header,
)
from vending.api.serializers import (
    AccountRequestSerializer,
    RequestApproveInputSerializer,
    RequestCancelInputSerializer,
    RequestListFilterSerializer,
    RequestPreviewSerializer,
    RequestRejectInputSerializer,
)
from vending.api.views.common import current_user, paginated, parse_body, parse_id, parse_query
from vending.choices import Environment, RequestKind
from vending.models import AccountRequest
from vending.selectors.invite_plans import invite_plan
from vending.selectors.lifecycle_plans import lifecycle_preview_for
from vending.selectors.request_metadata import request_metadata_check
from vending.selectors.request_plans import account_request_preview_for
from vending.selectors.requests import (
    account_request_filter,
    account_request_get_for,
    account_request_list_for,
)
from vending.services.lifecycle_requests import (
    account_change_request_create,
    account_invite_request_create,
)
from vending.services.provisioning import provisioning_account_retry
from vending.services.requests import (
    account_request_approve,
    account_request_cancel,
    account_request_create,
    account_request_reject,
)

TAG = ["requests"]
REQUEST_ID = OpenApiParameter(
    "id", int, OpenApiParameter.PATH, description="The request's id.", required=True
)


def _visible_request(user: User, raw_id: str) -> AccountRequest:
    pk = parse_id(raw_id, what="request")
    found = account_request_get_for(user=user, pk=pk)
    if found is None:
        raise NotFound(f"There is no request #{pk} that you can see.")
    return found


def _location(pk: int) -> str:
    return reverse("api:request-detail", kwargs={"id": pk})


def _render(user: User, pk: int) -> dict[str, Any]:
    """The request as it is now, read again after a write."""
    return dict(AccountRequestSerializer(account_request_list_for(user=user).get(pk=pk)).data)


class RequestListCreateApi(APIView):
    pagination_class = ApiPagination

    @extend_schema(
        operation_id="requests_list",
        summary="List requests",
        description="Newest first. Leads see their teams' requests; approvers and admins all.",
        parameters=[RequestListFilterSerializer],
        responses={200: AccountRequestSerializer(many=True), **errors(400, 404)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        filters = parse_query(RequestListFilterSerializer, request, paged=True)
        user = current_user(request)
        requests = account_request_list_for(user=user)
        return paginated(
            self,
            request,
            account_request_filter(requests, user=user, filters=filters),
            AccountRequestSerializer,
        )

    @extend_schema(
        operation_id="requests_create",
        summary="Submit a request (the team's leads)",
        description="Answers 201 with the request in `pending_approval`.",
        request=RequestCreateInputSerializer,
        examples=[REQUEST_EXAMPLE],
        parameters=[IDEMPOTENCY_KEY, location_header(201), REPLAYED_HEADER],
        responses={201: AccountRequestSerializer, **errors(400, 403, 409, 422)},
        tags=TAG,
    )
    def post(self, request: Request) -> Response:
        user = current_user(request)
        key = idempotency_key_read(request.headers)
        data = parse_body(RequestCreateInputSerializer, request)

        def submit() -> tuple[int, Any]:
            if data["kind"] == RequestKind.CREATE:
                created = account_request_create(
                    requester=user,
                    team=data["team"],
                    compliance_class=data["compliance_class"],
                    environments=data["environments"],
                    justification=data["justification"],
                    expires_on=data.get("expires_on"),
                    metadata=metadata_input(data),
                )
            elif data["kind"] == RequestKind.INVITE:
                created = account_invite_request_create(
                    requester=user,
                    team=data["team"],
                    compliance_class=data["compliance_class"],
                    environment=data["environment"],
                    account_id=data.get("account_id", ""),
                    email=data.get("email", ""),
                    justification=data["justification"],
                    metadata=metadata_input(data),
                )
            else:
                created = account_change_request_create(
                    requester=user,
                    kind=data["kind"],
                    account_id=data.get("account_id", ""),
                    compliance_class=data.get("compliance_class", ""),
                    justification=data["justification"],
                    expires_on=data.get("expires_on"),
                )
            return status.HTTP_201_CREATED, _render(user, created.pk)

        headers = {}
        if key is None:
            code, body = submit()
        else:
            outcome = idempotent(
                user=user, key=key, method="POST", path=request.path, data=request.data, work=submit
            )
            code, body = outcome.status, outcome.body
            if outcome.replayed:
                headers["Idempotent-Replayed"] = "true"
        headers["Location"] = _location(body["id"])
        return Response(body, status=code, headers=headers)


class RequestDetailApi(APIView):
    @extend_schema(
        operation_id="requests_retrieve",
        summary="Read a request and its accounts' progress",
        parameters=[REQUEST_ID],
        responses={200: AccountRequestSerializer, **errors(400, 404)},
        tags=TAG,
    )
    def get(self, request: Request, id: str) -> Response:
        found = _visible_request(current_user(request), id)
        return Response(AccountRequestSerializer(found).data)


class RequestPreviewApi(APIView):
    @extend_schema(
        operation_id="requests_preview",
        summary="What a request would create, without creating it (the team's leads)",
        description="For `kind` create (the default): the accounts it would create. For a "
        "kind about an existing account: the account, what it becomes, the services it gains "
        "and loses (change_class), whether it is closed or removed (decommission).",
        request=RequestPreviewInputSerializer,
        examples=[PREVIEW_EXAMPLE],
        responses={200: RequestPreviewSerializer, **errors(400, 403, 409)},
        tags=TAG,
    )
    def post(self, request: Request) -> Response:
        data = parse_body(RequestPreviewInputSerializer, request)
        if data["kind"] == RequestKind.INVITE:
            plan = invite_plan(
                user=current_user(request),
                team=data["team"],
                compliance_class=data["compliance_class"],
                environment=data["environment"],
                account_id=data.get("account_id", ""),
                email=data.get("email", ""),
            )
            return Response(InvitePreviewSerializer(plan).data)
        if data["kind"] != RequestKind.CREATE:
            change = lifecycle_preview_for(
                user=current_user(request),
                kind=data["kind"],
                account_id=data.get("account_id", ""),
                compliance_class=data.get("compliance_class", ""),
                expires_on=data.get("expires_on"),
            )
            return Response(LifecyclePreviewSerializer(change).data)
        user = current_user(request)
        preview = account_request_preview_for(
            user=user,
            team=data["team"],
            compliance_class=data["compliance_class"],
            environments=data["environments"],
        )
        meta = request_metadata_check(team=data["team"], requester=user, given=metadata_input(data))
        return Response(RequestPreviewSerializer(preview, context={"metadata": meta}).data)


class RequestApproveApi(APIView):
    @extend_schema(
        operation_id="requests_approve",
        summary="Approve a request (approvers who neither submitted it nor lead its team)",
        description=(
            "202 with `Location` when this approval starts provisioning; 200 when more "
            "approvals are needed (regulated prod needs two distinct approvers). 403 for "
            "the requester and for a lead of the request's team: someone outside the "
            "team approves (`eligible_approvers` says how many may)."
        ),
        parameters=[REQUEST_ID, location_header(202)],
        request=RequestApproveInputSerializer,
        responses={
            200: AccountRequestSerializer,
            202: AccountRequestSerializer,
            **errors(400, 403, 404, 409),
        },
        tags=TAG,
    )
    def post(self, request: Request, id: str) -> Response:
        user = current_user(request)
        found = _visible_request(user, id)
        data = parse_body(RequestApproveInputSerializer, request)
        outcome = account_request_approve(request=found, approver=user, comment=data["comment"])
        body = _render(user, found.pk)
        if outcome.provisioning_started:
            return Response(
                body, status=status.HTTP_202_ACCEPTED, headers={"Location": _location(found.pk)}
            )
        return Response(body)


class RequestRejectApi(APIView):
    @extend_schema(
        operation_id="requests_reject",
        summary="Reject a request with a reason (approvers, not the requester)",
        parameters=[REQUEST_ID],
        request=RequestRejectInputSerializer,
        examples=[REJECT_EXAMPLE],
        responses={200: AccountRequestSerializer, **errors(400, 403, 404, 409)},
        tags=TAG,
    )
    def post(self, request: Request, id: str) -> Response:
        user = current_user(request)
        found = _visible_request(user, id)
        data = parse_body(RequestRejectInputSerializer, request)
        account_request_reject(request=found, actor=user, reason=data["reason"])
        return Response(_render(user, found.pk))


class RequestCancelApi(APIView):
    @extend_schema(
        operation_id="requests_cancel",
        summary="Cancel a request (its requester or an admin)",
        parameters=[REQUEST_ID],
        request=RequestCancelInputSerializer,
        responses={200: AccountRequestSerializer, **errors(400, 403, 404, 409)},
        tags=TAG,
    )
    def post(self, request: Request, id: str) -> Response:
        user = current_user(request)
        found = _visible_request(user, id)
        data = parse_body(RequestCancelInputSerializer, request)
        account_request_cancel(request=found, actor=user, reason=data["reason"])
        return Response(_render(user, found.pk))


ENVIRONMENT = OpenApiParameter(
    "environment",
    str,
    OpenApiParameter.PATH,
    required=True,
    enum=Environment.values,
    description="The account's environment (a request has one account per environment).",
)


class RequestAccountRetryApi(APIView):
    @extend_schema(
        operation_id="requests_account_retry",
        summary="Retry one account of a request (admins)",
        description=(
            "A failed account goes back to work (after its cause is fixed); a stalled one "
            "(`stalled` true) is queued again now instead of at the sweeper's next pass, "
            "as it is: nothing is created twice. Answers 202 with `Location`, the request "
            "to poll; 409 when the account is neither failed nor stalled."
        ),
        parameters=[REQUEST_ID, ENVIRONMENT, location_header(202)],
        request=None,
        responses={202: AccountRequestSerializer, **errors(403, 404, 409)},
        tags=TAG,
    )
    def post(self, request: Request, id: str, environment: str) -> Response:
        user = current_user(request)
        found = _visible_request(user, id)
        account = next((a for a in found.accounts.all() if a.environment == environment), None)
        if account is None:
            raise NotFound(f"Request #{found.pk} has no {environment[:8]!r} account.")
        provisioning_account_retry(account=account, actor=user)
        return Response(
            _render(user, found.pk),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": _location(found.pk)},
        )
