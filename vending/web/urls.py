"""Routes of the web portal (names used by templates and tests), by domain."""

from django.urls import path, register_converter

from vending.web import (
    access,
    account_budget,
    account_changes,
    accounts,
    approvals,
    audit,
    home,
    invitations,
    org,
    requests,
    spend,
    tokens,
    webhooks,
)


class AwsAccountIdConverter:
    """Exactly 12 digits: anything else names no AWS account (a plain 404)."""

    regex = "[0-9]{12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AwsAccountIdConverter, "aws_account_id")

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the pages link: the file is a static one.
    path("favicon.ico", home.favicon, name="favicon"),
    path("readyz", home.readyz, name="readyz"),
    # Requests: leads submit, everyone involved follows.
    path("requests/", requests.request_list, name="request_list"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/preview/", requests.request_preview, name="request_preview"),
    path("requests/services/", requests.request_services, name="request_services"),
    path("requests/invite/", invitations.request_invite, name="request_invite"),
    path(
        "requests/invite/preview/",
        invitations.request_invite_preview,
        name="request_invite_preview",
    ),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/progress/", requests.request_progress, name="request_progress"),
    path("requests/<int:pk>/cancel/", requests.request_cancel, name="request_cancel"),
    path(
        "requests/<int:pk>/accounts/<int:account_pk>/retry/",
        requests.account_retry,
        name="account_retry",
    ),
    # Approvals: approvers and admins.
    path("approvals/", approvals.approval_queue, name="approval_queue"),
    path("approvals/<int:pk>/", approvals.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/approve/", approvals.request_approve, name="request_approve"),
    path("approvals/<int:pk>/reject/", approvals.request_reject, name="request_reject"),
    # Accounts: as requests (leads their teams', approvers and admins all).
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/<aws_account_id:account_id>/", accounts.account_detail, name="account_detail"),
    path(
        "accounts/<aws_account_id:account_id>/spend.csv",
        spend.account_spend_csv,
        name="account_spend_csv",
    ),
    path(
        "accounts/<aws_account_id:account_id>/budget/",
        account_budget.account_budget,
        name="account_budget",
    ),
    path(
        "accounts/<aws_account_id:account_id>/setup/retry/",
        account_budget.account_setup_again,
        name="account_setup_retry",
    ),
    path(
        "accounts/<aws_account_id:account_id>/team/",
        accounts.account_assign_team,
        name="account_assign_team",
    ),
    path(
        "accounts/<aws_account_id:account_id>/access/retry/",
        access.account_access_retry,
        name="account_access_retry",
    ),
    path(
        "accounts/<aws_account_id:account_id>/<str:kind>/",
        account_changes.account_change,
        name="account_change",
    ),
    # Teams and what they spend (the team's leads, approvers, admins).
    path("teams/<slug:slug>/", spend.team_detail, name="team_detail"),
    path("teams/<slug:slug>/spend.csv", spend.team_spend_csv, name="team_spend_csv"),
    path("costs/refresh/", spend.cost_refresh_now, name="cost_refresh_now"),
    # The organization (leads, approvers, admins; drift for approvers and admins).
    path("org/", org.org_tree, name="org_tree"),
    path("org/drift/scan/", org.drift_scan_now, name="drift_scan_now"),
    path("org/drift/<int:finding_pk>/repair/", org.drift_repair, name="drift_repair"),
    path("org/plan/", org.org_plan, name="org_plan"),
    # The audit trail: approvers and admins.
    path("audit/", audit.audit_list, name="audit_list"),
    # API tokens: each person their own.
    path("tokens/", tokens.token_list, name="token_list"),
    path("tokens/<int:token_pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    # Webhook endpoints: portal admins.
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/<int:endpoint_pk>/", webhooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_pk>/enabled/", webhooks.webhook_enabled, name="webhook_enabled"),
    path("webhooks/<int:endpoint_pk>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:endpoint_pk>/test/", webhooks.webhook_test, name="webhook_test"),
    path("webhooks/<int:endpoint_pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
]
