"""Organization: the live OU tree with its SCPs for leads, approvers and admins (the
management account id and drift for approvers and admins only); others get a 403."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from vending.aws import AwsError, get_gateway
from vending.selectors.org import (
    ORG_TREE_REFUSED,
    OrgTree,
    class_labels_by_ou_path,
    drift_report_for,
    org_tree_for,
)
from vending.web.pages import AwsNotice, aws_notice, forbidden, signin_required


@signin_required
@require_safe
def org_tree(request: HttpRequest) -> HttpResponse:
    tree: OrgTree | None = None
    notice: AwsNotice | None = None
    try:
        tree = org_tree_for(user=request.user, gateway=get_gateway())
        if tree is None:
            return forbidden(
                request, title="Team leads, approvers and admins only", explanation=ORG_TREE_REFUSED
            )
    except AwsError as exc:
        notice = aws_notice(exc)
    return render(
        request,
        "vending/org/tree.html",
        {
            "nav": "org",
            "tree": tree,
            "notice": notice,
            "classes_by_path": class_labels_by_ou_path(),
            "drift": drift_report_for(user=request.user),
        },
    )
