"""Accounts: the list of vended accounts and one account's page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from vending.aws import AwsError, get_gateway
from vending.choices import Environment
from vending.errors import DomainError
from vending.roles import is_admin
from vending.selectors.access import account_access_read
from vending.selectors.account_progress import account_progress
from vending.selectors.accounts import (
    account_count_for,
    account_get_for,
    account_list_for,
    account_live_state_of,
    account_tags_read,
)
from vending.selectors.costs import spend_of_accounts
from vending.selectors.lifecycle_plans import account_changes_for
from vending.selectors.policies import (
    EffectivePolicy,
    NotInOrganization,
    effective_policy_for_account,
)
from vending.selectors.teams import team_choices_for
from vending.services.drift import account_missing_in_aws_record
from vending.services.org_import import account_team_assign
from vending.web.account_table import TABLE_COLUMNS, account_rows_html
from vending.web.forms import (
    AccountFilterForm,
    AccountPolicyForm,
    AccountTeamForm,
    account_budget_form,
)
from vending.web.pages import (
    AwsNotice,
    account_not_found,
    aws_notice,
    emulator_url,
    htmx_target,
    page_of,
    signin_required,
    url_around,
)
from vending.web.spend_chart import spend_chart

PAGE_SIZE = 50


@signin_required
@require_safe
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET, teams=team_choices_for(user=request.user))
    filters = form.filters()
    search = form.search()
    accounts = account_list_for(user=request.user, filters=filters, search=search)
    # Only the columns the table shows, as named tuples: see account_table. In name
    # order, which an index keeps (`account_list_order`).
    accounts = accounts.order_by("name", "id").values_list(*TABLE_COLUMNS, named=True)
    page = page_of(
        accounts,
        request.GET.get("page"),
        per_page=PAGE_SIZE,
        count=lambda up_to: account_count_for(
            user=request.user, filters=filters, search=search, up_to=up_to
        ),
    )
    rows = account_rows_html(
        cast("Iterable[tuple[Any, ...]]", page.object_list),
        account_url=url_around("account_detail", example="000000000000"),
        request_url=url_around("request_detail", example="1"),
    )
    return render(
        request,
        "vending/accounts/list.html",
        {
            "nav": "accounts",
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": bool(filters or search),
        },
    )


def _policy_context(
    policy: EffectivePolicy | None, form: AccountPolicyForm, *, services: bool, explain: bool
) -> dict[str, Any]:
    data = form.cleaned_data  # the valid fields only: an invalid one is shown, not applied
    context: dict[str, Any] = {}
    if policy is not None and services:
        context["services"] = policy.report(search=data.get("q", ""), status=data.get("status", ""))
    action = data.get("action", "")
    if policy is not None and explain and action:
        context["decision"] = policy.explain(action)
    return context


@signin_required
@require_safe
@vary_on_headers("HX-Request", "HX-Target")
def account_detail(request: HttpRequest, account_id: str) -> HttpResponse:
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None:
        return account_not_found(request, account_id)
    form = AccountPolicyForm(request.GET)
    form.is_valid()
    gateway = get_gateway()
    policy: EffectivePolicy | None = None
    notice: AwsNotice | None = None
    target = htmx_target(request)
    try:
        # The page reads live; its search and explain boxes reuse that read.
        policy = effective_policy_for_account(
            gateway=gateway, account_id=account_id, reuse=bool(target)
        )
    except (NotInOrganization, AwsError) as exc:
        notice = aws_notice(exc)
    if notice is not None and notice.kind == "gone":
        # AWS said just now that it does not have the account: the list says so too.
        account_missing_in_aws_record(account=account)
    live = account_live_state_of(account)
    context: dict[str, Any] = {
        "nav": "accounts",
        "account": account,
        "live": live,
        "form": form,
        "policy": policy,
        "notice": notice,
    }
    if target == "services-results":
        context.update(_policy_context(policy, form, services=True, explain=False))
        return render(request, "vending/accounts/_services.html", context)
    if target == "explain-result":
        context.update(_policy_context(policy, form, services=False, explain=True))
        return render(request, "vending/accounts/_explain.html", context)
    context.update(_policy_context(policy, form, services=True, explain=True))
    if account.request_id is None and is_admin(request.user):
        context["assignable_teams"] = team_choices_for(user=request.user)
        context["environments"] = Environment.choices
    # When the policy read failed, the tags call would fail the same way (and as slowly).
    context["tags"] = account_tags_read(gateway=gateway, account=account, live=notice is None)
    context["p"] = account_progress(account)
    context["may_retry"] = is_admin(request.user) and account.request_id is not None
    context["changes"] = account_changes_for(user=request.user, account=account)
    # What it spent, from the last Cost Explorer refresh (no AWS call here).
    spend = context["spend"] = spend_of_accounts([account])
    context["spend_chart"] = spend_chart(
        spend.totals, currency=spend.currency, title=f"Spend of account {account.name}"
    )
    context["may_refresh"] = is_admin(request.user)
    context["emulator_url"] = emulator_url() if account.handshake_id else ""
    context["budget_form"] = account_budget_form(request.user, account)
    context["access"] = account_access_read(account)  # Identity Center: who has access
    return render(request, "vending/accounts/detail.html", context)


@signin_required
@require_POST
def account_assign_team(request: HttpRequest, account_id: str) -> HttpResponse:
    """An admin gives an imported account to a team (audited)."""
    account = account_get_for(user=request.user, account_id=account_id)
    if account is None:
        return account_not_found(request, account_id)
    form = AccountTeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("account_detail", account_id=account_id)
    try:
        done = account_team_assign(
            actor=request.user,
            account_id=account_id,
            team_slug=form.cleaned_data["team"],
            environment=form.cleaned_data["environment"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        owner = done.owner_team
        env = f" as {done.environment}" if done.environment else ""
        messages.success(
            request, f"{done.name} now belongs to {owner.slug if owner else '-'}{env}."
        )
    return redirect("account_detail", account_id=account_id)
