"""An existing account's actions: change its class, decommission it. Each is a request
(approved like a creation); the page previews what it would do before it is sent."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from vending.choices import ComplianceClass, RequestKind
from vending.errors import DomainError, InvalidInput
from vending.selectors.accounts import account_get_for
from vending.selectors.lifecycle_plans import PLANNED_KINDS, lifecycle_preview_for
from vending.services.lifecycle_requests import account_change_request_create
from vending.web.forms import CLASS_HELP, AccountChangeForm
from vending.web.pages import signed_in_user, signin_required, submitted


@signin_required
@require_http_methods(["GET", "POST"])
def account_change(request: HttpRequest, account_id: str, kind: str) -> HttpResponse:
    """GET: the form and, once a class is chosen (or for decommission at once), the
    preview; POST: submit the request (CSRF-checked), then its page."""
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None or kind not in PLANNED_KINDS:
        raise Http404("No such account or action.")
    form = AccountChangeForm(request.POST if request.method == "POST" else request.GET or None)
    context: dict[str, Any] = {
        "nav": "accounts",
        "account": account,
        "kind": RequestKind(kind),
        "form": form,
        "class_help": CLASS_HELP,
        "classes": ComplianceClass.choices,
    }
    chosen = form.data.get("compliance_class", "") if form.is_bound else ""
    valid = form.is_valid() if form.is_bound else False
    new_end = form.cleaned_data.get("expires_on") if valid else None
    if kind == RequestKind.DECOMMISSION or chosen or new_end:
        try:
            context["preview"] = lifecycle_preview_for(
                user=request.user,
                kind=kind,
                account_id=account_id,
                compliance_class=chosen,
                expires_on=new_end,
            )
        except DomainError as exc:
            context["refusal"] = exc
    if request.method == "POST" and valid:
        try:
            created = account_change_request_create(
                requester=signed_in_user(request),
                kind=kind,
                account_id=account_id,
                compliance_class=form.cleaned_data.get("compliance_class") or "",
                expires_on=new_end,
                justification=form.cleaned_data.get("justification") or "",
            )
        except DomainError as exc:
            form.add_domain_error(exc)
            return render(request, "vending/accounts/change.html", context, status=exc.http_status)
        return submitted(request, created, then=".")
    status = 200
    refusal = context.get("refusal")
    if refusal is not None and not isinstance(refusal, InvalidInput):
        status = refusal.http_status
    return render(request, "vending/accounts/change.html", context, status=status)
