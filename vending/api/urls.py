"""Routes of /api/v1/ (DESIGN.md section 9).

Path ids are taken as plain strings and checked by the views, so a malformed id is a
JSON 404 like any unknown one; any other path under /api/v1/ is a JSON 404 too.
"""

from django.urls import path, re_path

from vending.api.views.accounts import (
    AccountBudgetApi,
    AccountDetailApi,
    AccountEffectivePolicyApi,
    AccountListApi,
    AccountSetupRetryApi,
    AccountTeamApi,
)
from vending.api.views.audit import AuditEventListApi
from vending.api.views.common import NotFoundApi
from vending.api.views.org import OrgPlanApi, OrgTreeApi
from vending.api.views.requests import (
    RequestAccountRetryApi,
    RequestApproveApi,
    RequestCancelApi,
    RequestDetailApi,
    RequestListCreateApi,
    RequestPreviewApi,
    RequestRejectApi,
)
from vending.api.views.spend import AccountSpendApi, TeamSpendApi
from vending.api.views.teams import TeamListCreateApi
from vending.api.views.webhooks import (
    WebhookDetailApi,
    WebhookListCreateApi,
    WebhookRotateApi,
    WebhookTestApi,
)

app_name = "api"

urlpatterns = [
    path("teams/", TeamListCreateApi.as_view(), name="team-list"),
    path("teams/<str:slug>/spend/", TeamSpendApi.as_view(), name="team-spend"),
    path("requests/", RequestListCreateApi.as_view(), name="request-list"),
    path("requests/preview/", RequestPreviewApi.as_view(), name="request-preview"),
    path("requests/<str:id>/", RequestDetailApi.as_view(), name="request-detail"),
    path("requests/<str:id>/approve/", RequestApproveApi.as_view(), name="request-approve"),
    path("requests/<str:id>/reject/", RequestRejectApi.as_view(), name="request-reject"),
    path("requests/<str:id>/cancel/", RequestCancelApi.as_view(), name="request-cancel"),
    path(
        "requests/<str:id>/accounts/<str:environment>/retry/",
        RequestAccountRetryApi.as_view(),
        name="request-account-retry",
    ),
    path("accounts/", AccountListApi.as_view(), name="account-list"),
    path("accounts/<str:account_id>/", AccountDetailApi.as_view(), name="account-detail"),
    path(
        "accounts/<str:account_id>/effective-policy/",
        AccountEffectivePolicyApi.as_view(),
        name="account-effective-policy",
    ),
    path("accounts/<str:account_id>/team/", AccountTeamApi.as_view(), name="account-team"),
    path("accounts/<str:account_id>/spend/", AccountSpendApi.as_view(), name="account-spend"),
    path("accounts/<str:account_id>/budget/", AccountBudgetApi.as_view(), name="account-budget"),
    path(
        "accounts/<str:account_id>/setup/retry/",
        AccountSetupRetryApi.as_view(),
        name="account-setup-retry",
    ),
    path("org/", OrgTreeApi.as_view(), name="org"),
    path("org/plan/", OrgPlanApi.as_view(), name="org-plan"),
    path("audit-events/", AuditEventListApi.as_view(), name="audit-event-list"),
    path("webhooks/", WebhookListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<str:id>/", WebhookDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<str:id>/rotate/", WebhookRotateApi.as_view(), name="webhook-rotate"),
    path("webhooks/<str:id>/test/", WebhookTestApi.as_view(), name="webhook-test"),
    re_path(r"^.*$", NotFoundApi.as_view(), name="not-found"),
]
