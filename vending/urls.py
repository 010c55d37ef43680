from django.urls import include, path

from vending.web import home

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    # Requests and approvals: request_new, request_list, request_detail, approval_queue ...
    path("", include("vending.web.workflow_urls")),
    # Inventory: account_list, account_detail, org_tree, audit_list ...
    path("", include("vending.web.inventory_urls")),
]
