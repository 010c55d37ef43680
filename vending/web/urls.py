"""Routes of the web portal (names used by templates and tests), by domain."""

from django.urls import path, register_converter

from vending.web import (
    access,
    account_changes,
    accounts,
    approvals,
    audit,
    home,
    org,
    requests,
    tokens,
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
]
