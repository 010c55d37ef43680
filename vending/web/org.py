"""Organization: the live OU tree with its SCPs for leads, approvers and admins (the
management account id and drift for approvers and admins only); others get a 403."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from vending.aws import AwsError, get_gateway
from vending.blueprint.loader import BlueprintError
from vending.roles import is_admin
from vending.selectors.org import (
    ORG_TREE_REFUSED,
    OrgTree,
    catalog_age,
    class_labels_by_ou_path,
    drift_report_for,
    org_tree_for,
)
from vending.services.org_blueprint import OrgPlan, org_blueprint_plan
from vending.web.pages import AwsNotice, aws_notice, forbidden, is_htmx, signin_required


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
            "catalog": catalog_age(),
        },
    )


ORG_PLAN_REFUSED = "Only portal admins can see the pending changes to the organization."


@signin_required
@require_safe
def org_plan(request: HttpRequest) -> HttpResponse:
    """What `org apply` would change and whom it touches; admins only. Loaded into the
    organization page by htmx, or a page of its own without it."""
    if not is_admin(request.user):
        return forbidden(request, title="Portal admins only", explanation=ORG_PLAN_REFUSED)
    current: OrgPlan | None = None
    notice: AwsNotice | None = None
    problem = ""
    try:
        current = org_blueprint_plan(gateway=get_gateway(), with_impact=True)
    except AwsError as exc:
        notice = aws_notice(exc)
    except BlueprintError as exc:
        problem = str(exc)
    template = "vending/org/_plan.html" if is_htmx(request) else "vending/org/plan.html"
    return render(
        request,
        template,
        {"nav": "org", "current": current, "notice": notice, "problem": problem},
    )
