"""GET /api/v1/accounts/{account_id}/spend/ and /api/v1/teams/{slug}/spend/: what an
account or a team spent per month, from the last Cost Explorer refresh (no AWS call);
JSON, or CSV with `?format=csv`. Visible as the account or team is (404 otherwise)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.schema import errors
from vending.api.serializers import StrictInputSerializer
from vending.api.views.accounts import ACCOUNT_ID
from vending.api.views.accounts import _visible_account as visible_account
from vending.api.views.common import current_user, parse_query
from vending.selectors.costs import (
    Spend,
    spend_csv,
    spend_of_accounts,
    team_accounts,
    team_get_for,
)

CSV_DESCRIPTION = (
    "CSV (`?format=csv`): a header `month,account_id,account_name,amount,currency`, then "
    "one row per account and month, oldest first; the last month is the month so far. A "
    "name starting with =, +, -, @ is written with a leading apostrophe."
)


class SpendCsvRenderer(BaseRenderer):
    """`?format=csv`: the export as text; an error stays the JSON envelope."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, str):
            return data.encode()
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


class SpendQuerySerializer(StrictInputSerializer):
    format = serializers.ChoiceField(
        choices=["json", "csv"], required=False, help_text="`csv` for the CSV export."
    )


class MonthAmountSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="null: no figure yet"
    )
    estimated = serializers.BooleanField(help_text="AWS may still change it.")


class AccountSpendSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    name = serializers.CharField()
    months = MonthAmountSerializer(many=True)


class SpendSerializer(serializers.Serializer):
    currency = serializers.CharField()
    months = serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM, oldest first")
    refreshed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the figures were read from Cost Explorer (null: never)."
    )
    last_error = serializers.CharField(
        allow_blank=True, help_text="Why the last refresh failed (empty when it worked)."
    )
    totals = MonthAmountSerializer(many=True)
    accounts = AccountSpendSerializer(many=True)


def _month(m: Any) -> dict[str, Any]:
    return {"month": f"{m.month:%Y-%m}", "amount": m.amount, "estimated": m.estimated}


def _answer(request: Request, spend: Spend) -> Response:
    params = parse_query(SpendQuerySerializer, request)
    if params.get("format") == "csv":
        return Response(spend_csv(spend), content_type="text/csv; charset=utf-8")
    fresh = spend.freshness
    body = {
        "currency": spend.currency,
        "months": [f"{m:%Y-%m}" for m in spend.months],
        "refreshed_at": fresh.last_success.finished_at if fresh.last_success else None,
        "last_error": fresh.failed.error if fresh.failed else "",
        "totals": [_month(m) for m in spend.totals],
        "accounts": [
            {"account_id": a.account_id, "name": a.name, "months": [_month(m) for m in a.months]}
            for a in spend.accounts
        ],
    }
    return Response(SpendSerializer(body).data)


_RESPONSES: dict[Any, Any] = {
    (200, "application/json"): SpendSerializer,
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=CSV_DESCRIPTION),
    **errors(400, 404),
}


class AccountSpendApi(APIView):
    renderer_classes = [JSONRenderer, SpendCsvRenderer]

    @extend_schema(
        operation_id="accounts_spend",
        summary="What an account spent per month",
        description=(
            "UnblendedCost per month from AWS Cost Explorer, as the last refresh read it: "
            "the last VENDING_COST_MONTHS full months and the month so far."
        ),
        parameters=[
            ACCOUNT_ID,
            SpendQuerySerializer,
        ],
        responses=_RESPONSES,
        tags=["accounts"],
    )
    def get(self, request: Request, account_id: str) -> Response:
        account = visible_account(current_user(request), account_id)
        return _answer(request, spend_of_accounts([account]))


class TeamSpendApi(APIView):
    renderer_classes = [JSONRenderer, SpendCsvRenderer]

    @extend_schema(
        operation_id="teams_spend",
        summary="What a team's accounts spent per month",
        description=(
            "Each account of the team (and their total) per month, from the last Cost "
            "Explorer refresh. The team's leads, approvers and admins."
        ),
        parameters=[
            OpenApiParameter("slug", str, OpenApiParameter.PATH),
            SpendQuerySerializer,
        ],
        responses=_RESPONSES,
        tags=["teams"],
    )
    def get(self, request: Request, slug: str) -> Response:
        team = team_get_for(user=current_user(request), slug=slug)
        if team is None:
            raise NotFound(f"There is no team '{slug[:40]}' that you can see.")
        return _answer(request, spend_of_accounts(team_accounts(team)))
