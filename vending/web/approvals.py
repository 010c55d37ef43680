"""Approvals: the queue of requests waiting for an approver, and one approval page.

Only approvers and admins reach these pages (others get a 403 that says why). The
queue leaves out requests of teams the approver leads, and says how many. The service
refuses self-approval, approval by a lead of the team, a second approval by the same
person and decisions on a request that no longer waits; the page shows its message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from vending.errors import DomainError
from vending.models import AccountRequest
from vending.roles import is_approver
from vending.selectors.requests import (
    approval_queue_filter,
    approval_queue_for,
    approval_queue_withheld_count,
    approval_state_for,
)
from vending.selectors.teams import team_choices_for
from vending.services.requests import account_request_approve, account_request_reject
from vending.web.forms import CLASS_HELP, ApproveForm, QueueFilterForm, RejectForm
from vending.web.pages import forbidden, request_or_404, signed_in_user, signin_required

PAGE_SIZE = 25

NOT_AN_APPROVER = (
    "Approving requests is for the approvers group and portal admins. If you should "
    "approve account requests, ask a platform admin to add you to the approvers group."
)


def age_label(since: datetime, now: datetime) -> str:
    """A short age: "<1 min", "5 min", "3 h", "2 d"."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return "<1 min"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _not_an_approver(request: HttpRequest) -> HttpResponse:
    return forbidden(request, title="Approvers only", explanation=NOT_AN_APPROVER)


@signin_required
@require_GET
def approval_queue(request: HttpRequest) -> HttpResponse:
    if not is_approver(request.user):
        return _not_an_approver(request)
    form = QueueFilterForm(request.GET, teams=team_choices_for(user=request.user))
    form.is_valid()
    filters = dict(form.cleaned_data)
    queue = approval_queue_filter(approval_queue_for(user=request.user), filters=filters)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(r, age_label(r.created_at, now)) for r in page.object_list]
    return render(
        request,
        "vending/approvals/queue.html",
        {
            "nav": "approvals",
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": any(filters.values()),
            "withheld": approval_queue_withheld_count(user=request.user),
        },
    )


def _approval_page(
    request: HttpRequest,
    found: AccountRequest,
    *,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # Read again: a refused decision may have raced with someone else's.
    found = request_or_404(request, found.pk)
    context: dict[str, Any] = {
        "nav": "approvals",
        "req": found,
        "accounts": list(found.accounts.all()),
        "state": approval_state_for(user=request.user, request=found),
        "class_help": CLASS_HELP.get(found.compliance_class, ""),
        "approve_form": approve_form or ApproveForm(),
        "reject_form": reject_form or RejectForm(),
        "waiting": age_label(found.created_at, timezone.now()),
    }
    return render(request, "vending/approvals/detail.html", context, status=status)


@signin_required
@require_GET
def approval_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_approver(request.user):
        return _not_an_approver(request)
    return _approval_page(request, request_or_404(request, pk))


@signin_required
@require_POST
def request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_approver(request.user):
        return _not_an_approver(request)
    found = request_or_404(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _approval_page(request, found, approve_form=form, status=400)
    try:
        outcome = account_request_approve(
            request=found,
            approver=signed_in_user(request),
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _approval_page(request, found, approve_form=form, status=exc.http_status)
    if outcome.provisioning_started:
        messages.success(request, f"Approved: provisioning started for request #{found.pk}.")
    else:
        missing = outcome.approvals_missing
        messages.success(
            request,
            f"Approval recorded: {missing} more approver{'s' if missing != 1 else ''} "
            f"needed for request #{found.pk}.",
        )
    return redirect("approval_queue")


@signin_required
@require_POST
def request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_approver(request.user):
        return _not_an_approver(request)
    found = request_or_404(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _approval_page(request, found, reject_form=form, status=400)
    try:
        account_request_reject(
            request=found, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        form.add_domain_error(exc)
        messages.error(request, exc.message)
        return _approval_page(request, found, reject_form=form, status=exc.http_status)
    messages.success(request, f"Rejected #{found.pk}. The requester is told why.")
    return redirect("approval_queue")
