"""What teams and accounts spend: the team's page (its accounts and their spend), the
CSV exports, and an admin's "refresh now". Figures come from the database (the last
Cost Explorer refresh): no page calls AWS."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from vending.errors import DomainError
from vending.models import Team
from vending.roles import is_admin
from vending.selectors.accounts import account_get_for
from vending.selectors.costs import (
    Spend,
    spend_csv,
    spend_of_accounts,
    team_accounts,
    team_get_for,
)
from vending.services.costs import cost_refresh_request
from vending.web.pages import forbidden, signin_required
from vending.web.spend_chart import spend_chart


def _csv_response(spend: Spend, *, name: str) -> HttpResponse:
    response = HttpResponse(spend_csv(spend), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="spend-{name}-{stamp}.csv"'
    return response


def _team_or_404(request: HttpRequest, slug: str) -> Team:
    team = team_get_for(user=request.user, slug=slug)
    if team is None:
        raise Http404(f"There is no team '{slug[:40]}' that you can see.")
    return team


@signin_required
@require_safe
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's accounts and what each spent (leads of the team, approvers, admins)."""
    team = _team_or_404(request, slug)
    spend = spend_of_accounts(team_accounts(team).select_related("request"))
    chart = spend_chart(spend.totals, currency=spend.currency, title=f"Spend of team {team.slug}")
    return render(
        request,
        "vending/spend/team.html",
        {
            "team": team,
            "leads": team.leads.order_by("username"),
            "spend": spend,
            "chart": chart,
            "may_refresh": is_admin(request.user),
        },
    )


@signin_required
@require_safe
def team_spend_csv(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team_or_404(request, slug)
    return _csv_response(spend_of_accounts(team_accounts(team)), name=team.slug)


@signin_required
@require_safe
def account_spend_csv(request: HttpRequest, account_id: str) -> HttpResponse:
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None:
        raise Http404(f"There is no account '{account_id}' that you can see.")
    return _csv_response(spend_of_accounts([account]), name=account_id)


@signin_required
@require_POST
def cost_refresh_now(request: HttpRequest) -> HttpResponse:
    """An admin asks for the figures now (audited; a worker reads Cost Explorer)."""
    try:
        cost_refresh_request(actor=request.user)
    except DomainError as exc:
        return forbidden(request, title="Not allowed", explanation=exc.message)
    messages.success(request, "Refresh queued: the figures are read from Cost Explorer now.")
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(back if back and safe else "home")
