"""Audit: the append-only event log, for approvers and admins."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from vending.errors import PermissionDenied
from vending.selectors.audit import audit_event_list_for
from vending.selectors.teams import team_choices_for
from vending.web.forms import AuditFilterForm
from vending.web.pages import signin_required

PAGE_SIZE = 50


@signin_required
@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET, teams=team_choices_for(user=request.user))
    try:
        events = audit_event_list_for(user=request.user, filters=form.filters(), newest_first=True)
    except PermissionDenied as exc:
        return render(
            request, "vending/audit/forbidden.html", {"nav": "audit", "reason": exc}, status=403
        )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(request.GET.get(name) for name in form.fields)
    return render(
        request,
        "vending/audit/list.html",
        {"nav": "audit", "form": form, "page": page, "filtered": filtered},
    )
