"""Request pages: new request (with its live preview), the list, one request's page.

Views decide nothing: they validate a form, call a service or a selector, render. The
services refuse what is not allowed (with a `DomainError` whose message is shown); the
selectors scope every read to the person asking, so another team's request is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from vending.choices import AccountStatus, ComplianceClass, Environment, RequestKind
from vending.errors import DomainError, PermissionDenied
from vending.models import AccountRequest, Team
from vending.roles import is_admin, is_approver
from vending.selectors.account_progress import account_progress
from vending.selectors.leases import lease_end_errors
from vending.selectors.request_metadata import MetadataPreview, request_metadata_preview
from vending.selectors.request_plans import (
    account_request_preview_for,
    class_policy_read,
    environment_holders,
)
from vending.selectors.requests import (
    account_request_filter,
    account_request_list_for,
    approval_state_for,
    request_may_cancel,
    request_polls,
    request_timeline,
)
from vending.selectors.teams import team_choices_for, teams_led_by
from vending.services.provisioning import provisioning_account_retry
from vending.services.requests import account_request_cancel, account_request_create
from vending.web.forms import (
    CLASS_HELP,
    AccountRequestForm,
    CancelForm,
    MetadataPreviewForm,
    RequestFilterForm,
    RequestPreviewForm,
    ServiceSearchForm,
)
from vending.web.pages import (
    class_rows,
    emulator_url,
    forbidden,
    request_or_404,
    signed_in_user,
    signin_required,
    submitted,
)

PAGE_SIZE = 25

NOT_A_LEAD = (
    "Only team leads can request accounts, and you lead no team. Ask a platform admin to "
    "add you as a lead of your team, or ask your team's lead to request the accounts."
)


# -- new request --------------------------------------------------------------------------


def _selected(form: RequestPreviewForm, teams: list[Team]) -> tuple[Team | None, str]:
    """The team and class the form currently shows (for the flags beside environments)."""
    slug = form["team"].value()
    team = next((t for t in teams if t.slug == slug), teams[0] if teams else None)
    cls = form["compliance_class"].value()
    return team, cls if cls in ComplianceClass.values else ComplianceClass.GENERAL


@dataclass(frozen=True)
class EnvironmentRow:
    value: str
    label: str
    checked: bool
    held_by: int | None  # the live request already holding this account of the team


def _environment_rows(form: RequestPreviewForm, holders: dict[str, int]) -> list[EnvironmentRow]:
    chosen = form["environments"].value() or []
    return [
        EnvironmentRow(value, str(label), value in chosen, holders.get(value))
        for value, label in Environment.choices
    ]


@signin_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    led = teams_led_by(user=request.user)
    teams = list(led)
    if not teams:
        return forbidden(request, title="You lead no team", explanation=NOT_A_LEAD)
    status = 200
    error = ""
    if request.method == "POST":
        form = AccountRequestForm(request.POST, teams=led)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = account_request_create(
                    requester=signed_in_user(request),
                    team=data["team"],
                    compliance_class=data["compliance_class"],
                    environments=data["environments"],
                    justification=data["justification"],
                    expires_on=data.get("expires_on"),
                    metadata=form.metadata(),
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                error, status = exc.message, exc.http_status
            else:
                return submitted(request, created, then="; this page follows its progress.")
        else:
            error, status = "Some fields need attention; see below.", 400
    else:
        form = AccountRequestForm(teams=led)
    team, cls = _selected(form, teams)
    holders = environment_holders(team=team, compliance_class=cls) if team else {}
    return render(
        request,
        "vending/requests/new.html",
        {
            "nav": "new",
            "form": form,
            "error": error,
            "environment_rows": _environment_rows(form, holders),
            "class_rows": class_rows(cls),
        },
        status=status,
    )


@signin_required
@require_POST
def request_preview(request: HttpRequest) -> HttpResponse:
    """The preview panel beside the form (an htmx fragment)."""
    led = teams_led_by(user=request.user)
    teams = list(led)
    if not teams:
        return forbidden(request, title="You lead no team", explanation=NOT_A_LEAD)
    form = RequestPreviewForm(request.POST, teams=led)
    search = ServiceSearchForm(request.POST)
    search.is_valid()
    preview = None
    error = ""
    lease_errors: list[str] = []
    metadata: MetadataPreview | None = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            preview = account_request_preview_for(
                user=request.user,
                team=data["team"],
                compliance_class=data["compliance_class"],
                environments=data["environments"],
            )
        except DomainError as exc:
            error = exc.message
        metadata = _metadata_preview(request, data) if preview is not None else None
        if data.get("expires_on") is not None:
            lease_errors = lease_end_errors(
                expires_on=data["expires_on"],
                compliance_class=data["compliance_class"],
                environments=data["environments"],
            )
    team, cls = _selected(form, teams)
    holders = environment_holders(team=team, compliance_class=cls) if team else {}
    policy = preview.placement.policy if preview is not None else None
    q, status = search.cleaned_data.get("q", ""), search.cleaned_data.get("status", "")
    services = policy.report(search=q, status=status) if policy is not None else None
    return render(
        request,
        "vending/requests/_preview.html",
        {
            "form": form,
            "preview": preview,
            "error": error,
            "environment_rows": _environment_rows(form, holders),
            "conflicts": [a.environment for a in preview.accounts if a.conflict_request_id]
            if preview is not None
            else [],
            "services": services,
            "services_note": preview.services_note if preview is not None else "",
            "compliance_class": cls,
            "q": q,
            "status": status,
            "search_form": search,
            "lease_errors": lease_errors,
            "metadata": metadata,
        },
    )


def _metadata_preview(request: HttpRequest, data: dict[str, Any]) -> MetadataPreview:
    """The metadata fields of the form the preview was posted with."""
    form = MetadataPreviewForm(request.POST)
    if not form.is_valid():
        return MetadataPreview.refused([str(e) for errors in form.errors.values() for e in errors])
    return request_metadata_preview(
        team=data["team"],
        requester=signed_in_user(request),
        given=form.metadata(),
        compliance_class=data["compliance_class"],
        environments=data["environments"],
    )


@signin_required
@require_GET
def request_services(request: HttpRequest) -> HttpResponse:
    """A class's services, searchable: the whole block, or only its list (`fragment=list`)."""
    search = ServiceSearchForm(request.GET)
    if not search.is_valid():
        return render(
            request,
            "vending/partials/notice.html",
            {"explanation": "Choose a compliance class to see its services.", "kind": "muted"},
            status=400,
        )
    data = search.cleaned_data
    placement = class_policy_read(compliance_class=data["compliance_class"])
    services = (
        placement.policy.report(search=data["q"], status=data["status"])
        if placement.policy is not None
        else None
    )
    template = (
        "vending/requests/_services_list.html"
        if request.GET.get("fragment") == "list"
        else "vending/requests/_services.html"
    )
    return render(
        request,
        template,
        {
            "services": services,
            "services_note": placement.note,
            "compliance_class": data["compliance_class"],
            "q": data["q"],
            "status": data["status"],
            "search_form": search,
        },
    )


# -- the list -----------------------------------------------------------------------------


@signin_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    sees_all = is_approver(user)
    led = teams_led_by(user=user)
    leads = led.exists()
    data = request.GET.copy()
    if not data.get("scope"):
        # Leads start from their own teams; approvers who lead none from everything.
        data["scope"] = RequestFilterForm.SCOPE_MINE if leads else RequestFilterForm.SCOPE_ALL
    form = RequestFilterForm(data, teams=team_choices_for(user=user))
    form.is_valid()
    filters = dict(form.cleaned_data)
    filters["mine"] = sees_all and filters.get("scope") == RequestFilterForm.SCOPE_MINE
    requests = account_request_filter(
        account_request_list_for(user=user), user=user, filters=filters
    )
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = bool(filters.get("team") or filters.get("status"))
    return render(
        request,
        "vending/requests/list.html",
        {
            "nav": "requests",
            "form": form,
            "page": page,
            "show_scope": sees_all,
            "filtered": filtered,
            "mine": filters["mine"],
            "leads": leads,
        },
    )


# -- one request --------------------------------------------------------------------------


def _request_context(request: HttpRequest, found: AccountRequest) -> dict[str, Any]:
    user = request.user
    accounts = list(found.accounts.all())
    now = timezone.now()
    return {
        "req": found,
        "accounts": accounts,
        "account_rows": [(a, account_progress(a, now=now)) for a in accounts],
        "ready_count": sum(1 for a in accounts if a.status == AccountStatus.READY),
        "failed_count": sum(1 for a in accounts if a.status == AccountStatus.FAILED),
        "state": approval_state_for(user=user, request=found),
        "timeline": request_timeline(request=found),
        "polls": request_polls(found),
        "may_cancel": request_may_cancel(user=user, request=found),
        "may_retry": is_admin(user),
        "class_help": CLASS_HELP.get(found.compliance_class, ""),
        "emulator_url": emulator_url() if found.kind == RequestKind.INVITE else "",
    }


@signin_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = request_or_404(request, pk)
    context = _request_context(request, found)
    context.update({"nav": "requests", "cancel_form": CancelForm()})
    return render(request, "vending/requests/detail.html", context)


@signin_required
@require_GET
def request_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the request page, polled every 2 s until the request settles.

    `seen` is the status the page was showing: when it changed, the actions (cancel,
    review) are swapped too, out of band, so no stale button stays on the page.
    """
    found = request_or_404(request, pk)
    context = _request_context(request, found)
    context.update(
        {
            "actions_changed": request.GET.get("seen", found.status) != found.status,
            "cancel_form": CancelForm(),
        }
    )
    return render(request, "vending/requests/_progress.html", context)


@signin_required
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    found = request_or_404(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is limited to 2000 characters.")
        return redirect("request_detail", pk=found.pk)
    try:
        account_request_cancel(
            request=found, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Request #{found.pk} cancelled. No account will be created.")
    return redirect("request_detail", pk=found.pk)


@signin_required
@require_POST
def account_retry(request: HttpRequest, pk: int, account_pk: int) -> HttpResponse:
    found = request_or_404(request, pk)
    account = next((a for a in found.accounts.all() if a.pk == account_pk), None)
    if account is None:
        raise Http404(f"Request #{found.pk} has no account {account_pk}.")
    try:
        provisioning_account_retry(account=account, actor=request.user)
    except PermissionDenied as exc:
        return forbidden(request, title="Only admins retry accounts", explanation=exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{account.name} is queued again; its progress shows below.")
    return redirect("request_detail", pk=found.pk)
