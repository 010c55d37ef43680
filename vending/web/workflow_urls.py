"""The request and approval pages (names used by templates and tests)."""

from django.urls import path

from vending.web import approvals, requests

urlpatterns = [
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
]
