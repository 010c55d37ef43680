"""Inviting an existing AWS account into the organization, for a team one leads: the
form and its live preview (where it lands, approvals, AWS's 20 invitations a day, and
a clear refusal for an account the organization already holds). Approved, the
invitation is sent; the account's owner accepts it (the request page follows it)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from vending.choices import ComplianceClass
from vending.errors import DomainError
from vending.selectors.invite_plans import InvitePlan, invite_plan
from vending.selectors.teams import teams_led_by
from vending.services.lifecycle_requests import account_invite_request_create
from vending.web.forms import InvitePreviewForm, InviteRequestForm
from vending.web.pages import class_rows, forbidden, signed_in_user, signin_required, submitted

NOT_A_LEAD = (
    "Only team leads can invite accounts, and you lead no team. Ask a platform admin to "
    "add you as a lead of your team, or ask your team's lead to invite the account."
)


def _chosen_class(form: InvitePreviewForm) -> str:
    value = form["compliance_class"].value()
    return value if value in ComplianceClass.values else ComplianceClass.GENERAL


@signin_required
@require_http_methods(["GET", "POST"])
def request_invite(request: HttpRequest) -> HttpResponse:
    """GET: the form; POST: submit the invitation request (CSRF-checked), then its page."""
    led = teams_led_by(user=request.user)
    if not led.exists():
        return forbidden(request, title="You lead no team", explanation=NOT_A_LEAD)
    status, error = 200, ""
    if request.method == "POST":
        form = InviteRequestForm(request.POST, teams=led)
        if form.is_valid():
            data = form.cleaned_data
            account_id, email = form.target()
            try:
                created = account_invite_request_create(
                    requester=signed_in_user(request),
                    team=data["team"],
                    compliance_class=data["compliance_class"],
                    environment=data["environment"],
                    justification=data["justification"],
                    account_id=account_id,
                    email=email,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                error, status = exc.message, exc.http_status
            else:
                return submitted(request, created, then="; then the invitation is sent.")
        else:
            error, status = "Some fields need attention; see below.", 400
    else:
        form = InviteRequestForm(teams=led)
    context = {
        "nav": "new",
        "form": form,
        "error": error,
        "class_rows": class_rows(_chosen_class(form)),
    }
    return render(request, "vending/requests/invite.html", context, status=status)


@signin_required
@require_POST
def request_invite_preview(request: HttpRequest) -> HttpResponse:
    """The preview beside the form (an htmx fragment): what the invitation would do."""
    led = teams_led_by(user=request.user)
    if not led.exists():
        return forbidden(request, title="You lead no team", explanation=NOT_A_LEAD)
    form = InvitePreviewForm(request.POST, teams=led)
    plan: InvitePlan | None = None
    refusal: DomainError | None = None
    if form.is_valid():
        data = form.cleaned_data
        account_id, email = form.target()
        try:
            plan = invite_plan(
                user=request.user,
                team=data["team"],
                compliance_class=data["compliance_class"],
                environment=data["environment"],
                account_id=account_id,
                email=email,
            )
        except DomainError as exc:
            refusal = exc
    now = timezone.now()
    return render(
        request,
        "vending/requests/_invite_preview.html",
        {
            "form": form,
            "plan": plan,
            "refusal": refusal,
            "queued": plan is not None and plan.expected_send_at > now,
        },
    )
