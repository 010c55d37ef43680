"""/api/v1/accounts/: vended accounts, by AWS account id, and their effective SCPs."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.account_live import AccountLiveSerializer
from vending.api.account_rows import ACCOUNT_ROW_FIELDS, AccountRowSerializer
from vending.api.metadata_serializers import AccountBudgetInputFields
from vending.api.pagination import ApiPagination, Columns
from vending.api.policy_serializers import (
    ActionDecisionSerializer,
    EffectivePolicyQuerySerializer,
    ServiceSummarySerializer,
)
from vending.api.schema import errors
from vending.api.serializers import (
    AccountListFilterSerializer,
    StrictInputSerializer,
)
from vending.api.views.common import current_user, paginated, parse_body, parse_query
from vending.aws import get_gateway
from vending.choices import Environment
from vending.models import VendedAccount
from vending.roles import User
from vending.selectors.accounts import account_get_for, account_list_for
from vending.selectors.policies import NotInOrganization, effective_policy_for_account
from vending.services.account_setup import account_budget_set, account_setup_retry
from vending.services.org_import import account_team_assign

TAG = ["accounts"]
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
ACCOUNT_ID = OpenApiParameter(
    "account_id",
    str,
    OpenApiParameter.PATH,
    required=True,
    pattern=r"^[0-9]{12}$",
    description="The 12-digit AWS account id.",
)


def _visible_account(user: User, account_id: str) -> VendedAccount:
    found = (
        account_get_for(user=user, account_id=account_id)
        if _ACCOUNT_ID.fullmatch(account_id)
        else None
    )
    if found is None:
        raise NotFound(f"There is no account '{account_id[:40]}' that you can see.")
    return found


class AccountListApi(APIView):
    pagination_class = ApiPagination

    @extend_schema(
        operation_id="accounts_list",
        summary="List vended accounts",
        description=(
            "Accounts of live requests (not rejected or cancelled), oldest first. Leads "
            "see their teams'; approvers and admins all."
        ),
        parameters=[AccountListFilterSerializer],
        responses={200: AccountLiveSerializer(many=True), **errors(400, 404)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        filters = parse_query(AccountListFilterSerializer, request, paged=True)
        accounts = account_list_for(user=current_user(request), filters=filters)
        # Rendered from the columns it shows, as AccountLiveSerializer would (see the schema).
        rows = Columns(accounts, ACCOUNT_ROW_FIELDS)
        return paginated(self, request, rows, AccountRowSerializer)


class AccountDetailApi(APIView):
    @extend_schema(
        operation_id="accounts_retrieve",
        summary="Read an account by its AWS account id",
        parameters=[ACCOUNT_ID],
        responses={200: AccountLiveSerializer, **errors(400, 404)},
        tags=TAG,
    )
    def get(self, request: Request, account_id: str) -> Response:
        account = _visible_account(current_user(request), account_id)
        return Response(AccountLiveSerializer(account).data)


class AccountEffectivePolicyApi(APIView):
    @extend_schema(
        operation_id="accounts_effective_policy",
        summary="What the SCPs above the account allow, and why",
        description=(
            "With `action`: the outcome for that action (allowed, denied explicitly or "
            "implicitly, or depends on the resource or a condition), naming the level, "
            "policy and statements that decide. Without: every IAM service prefix as "
            "allowed, partial or denied, with its actions counted as allowed, depends and "
            "denied. Read live from AWS Organizations (503 when it does not answer)."
        ),
        parameters=[ACCOUNT_ID, EffectivePolicyQuerySerializer],
        responses={
            200: PolymorphicProxySerializer(
                component_name="EffectivePolicy",
                serializers=[ActionDecisionSerializer, ServiceSummarySerializer],
                resource_type_field_name=None,
            ),
            **errors(400, 404, 502, 503),
        },
        tags=TAG,
    )
    def get(self, request: Request, account_id: str) -> Response:
        account = _visible_account(current_user(request), account_id)
        query = parse_query(EffectivePolicyQuerySerializer, request)
        aws_id = str(account.account_id)
        try:
            policy = effective_policy_for_account(gateway=get_gateway(), account_id=aws_id)
        except NotInOrganization as exc:
            raise NotFound(str(exc)) from exc
        if "action" in query:
            return Response(ActionDecisionSerializer(policy.explain(query["action"])).data)
        return Response(ServiceSummarySerializer(policy).data)


class _TeamInput(StrictInputSerializer):
    team = serializers.SlugField(max_length=32, help_text="The team's slug.")
    environment = serializers.ChoiceField(
        choices=Environment.values,
        required=False,
        allow_blank=True,
        help_text=(
            "Which of the team's environments the account is: it decides the permission "
            "sets the team's group gets on it (the blueprint's `access:`). Omitted: "
            "unchanged; empty: none."
        ),
    )


class AccountTeamApi(APIView):
    @extend_schema(
        operation_id="accounts_assign_team",
        summary="Give an imported account to a team (admins)",
        description=(
            "Accounts `org import` brought into the inventory have no team until an admin "
            "assigns one; the team's leads then see the account, and with an `environment` "
            "the team's group gets that environment's access on it. Audited. 409 for an "
            "account the portal created (it belongs to its request's team), or a new "
            "`environment` for an invited account that came with a request."
        ),
        parameters=[ACCOUNT_ID],
        request=_TeamInput,
        responses={200: AccountLiveSerializer, **errors(400, 403, 404, 409)},
        tags=TAG,
    )
    def post(self, request: Request, account_id: str) -> Response:
        user = current_user(request)
        account = _visible_account(user, account_id)
        data = parse_body(_TeamInput, request)
        account_team_assign(
            actor=user,
            account_id=str(account.account_id),
            team_slug=data["team"],
            environment=data.get("environment"),
        )
        return Response(AccountLiveSerializer(_visible_account(user, account_id)).data)


class _BudgetInput(AccountBudgetInputFields, StrictInputSerializer):
    pass


class AccountBudgetApi(APIView):
    @extend_schema(
        operation_id="accounts_set_budget",
        summary="Set, change or remove an account's monthly budget (admins)",
        description=(
            "`amount` in USD a month, or null for none. The portal then creates, updates or "
            "deletes the AWS Budget `vending-<account_id>` in the management account "
            "(`budget.status` pending, then done, failed or removed). Audited as "
            "`account.budget_changed`. 409 for an account that is not ready."
        ),
        parameters=[ACCOUNT_ID],
        request=_BudgetInput,
        responses={200: AccountLiveSerializer, **errors(400, 403, 404, 409)},
        tags=TAG,
    )
    def put(self, request: Request, account_id: str) -> Response:
        user = current_user(request)
        account = _visible_account(user, account_id)
        data = parse_body(_BudgetInput, request)
        account_budget_set(actor=user, account=account, amount=data["amount"])
        return Response(AccountLiveSerializer(_visible_account(user, account_id)).data)

    @extend_schema(
        operation_id="accounts_update_budget",
        summary="Change an account's monthly budget (admins; as PUT)",
        parameters=[ACCOUNT_ID],
        request=_BudgetInput,
        responses={200: AccountLiveSerializer, **errors(400, 403, 404, 409)},
        tags=TAG,
    )
    def patch(self, request: Request, account_id: str) -> Response:
        return self.put(request, account_id)


class AccountSetupRetryApi(APIView):
    @extend_schema(
        operation_id="accounts_setup_retry",
        summary="Try again the contacts or budget AWS refused (admins)",
        description=(
            "For a ready account whose `contacts_status` or `budget.status` is `failed`, "
            "once the cause (a permission, trusted access) is fixed: each failed part goes "
            "back to `pending` and the setup task sets it. Answers 202 with the account. "
            "Audited as `account.setup_retried`. 409 when neither failed or the account is "
            "not ready."
        ),
        parameters=[ACCOUNT_ID],
        request=None,
        responses={202: AccountLiveSerializer, **errors(403, 404, 409)},
        tags=TAG,
    )
    def post(self, request: Request, account_id: str) -> Response:
        user = current_user(request)
        account_setup_retry(actor=user, account=_visible_account(user, account_id))
        return Response(
            AccountLiveSerializer(_visible_account(user, account_id)).data,
            status=status.HTTP_202_ACCEPTED,
        )
