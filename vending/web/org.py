"""Organization: the live OU tree with its SCPs for leads, approvers and admins (the
management account id and drift for approvers and admins only); others get a 403.
Admins start a drift scan now, repair one finding (after a confirmation page) and see
the pending changes to the organization with their impact."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vending.aws import AwsError, get_gateway
from vending.blueprint.loader import BlueprintError
from vending.errors import DomainError, PermissionDenied
from vending.roles import is_admin
from vending.selectors.org import (
    ORG_TREE_REFUSED,
    OrgTree,
    catalog_age,
    class_labels_by_ou_path,
    drift_report_for,
    org_tree_for,
)
from vending.services.drift import org_drift_scan_request
from vending.services.drift_repair import NEEDS_A_PERSON, org_drift_repair, org_drift_repair_plan
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
            "needs_a_person": [str(kind) for kind in NEEDS_A_PERSON],
            "catalog": catalog_age(),
        },
    )


ADMINS_ONLY = "Only portal admins can change the organization; approvers can see drift."


@signin_required
@require_POST
def drift_scan_now(request: HttpRequest) -> HttpResponse:
    try:
        org_drift_scan_request(actor=request.user)
    except PermissionDenied:
        return forbidden(request, title="Portal admins only", explanation=ADMINS_ONLY)
    messages.success(
        request, "A drift scan is queued; reload this page in a moment to see what it found."
    )
    return redirect(reverse("org_tree") + "#h-drift")


@signin_required
@require_http_methods(["GET", "HEAD", "POST"])
def drift_repair(request: HttpRequest, finding_pk: int) -> HttpResponse:
    """GET: what repairing the finding would change (read live); POST: do it."""
    if not is_admin(request.user):
        return forbidden(request, title="Portal admins only", explanation=ADMINS_ONLY)
    try:
        if request.method == "POST":
            done = org_drift_repair(actor=request.user, finding_id=finding_pk)
        else:
            plan = org_drift_repair_plan(actor=request.user, finding_id=finding_pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("org_tree") + "#h-drift")
    except AwsError as exc:
        messages.error(request, f"AWS did not answer, nothing was changed: {exc}")
        return redirect(reverse("org_tree") + "#h-drift")
    if request.method == "POST":
        what = "; ".join(c.summary for c in done.changes) or "nothing was left to change"
        messages.success(request, f"Repaired {done.finding.get_kind_display()}: {what}.")
        return redirect(reverse("org_tree") + "#h-drift")
    return render(
        request, "vending/org/repair.html", {"nav": "org", "finding": plan.finding, "plan": plan}
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
