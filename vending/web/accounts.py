"""Accounts: the list of vended accounts and one account's page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from vending.aws import AwsError, get_gateway
from vending.roles import is_admin
from vending.selectors.account_progress import account_progress
from vending.selectors.accounts import account_get_for, account_list_for, account_tags_read
from vending.selectors.policies import (
    EffectivePolicy,
    NotInOrganization,
    effective_policy_for_account,
)
from vending.selectors.teams import team_choices_for
from vending.web.forms import AccountFilterForm, AccountPolicyForm
from vending.web.pages import AwsNotice, aws_notice, htmx_target, signin_required, url_around

PAGE_SIZE = 50
# The columns the list's table shows: a page reads these and no others. (A column the
# template reads that is missing here would cost a query per row; tests count them.)
TABLE_COLUMNS = (
    "name",
    "email",
    "account_id",
    "environment",
    "target_ou_path",
    "status",
    "failure_reason",
    "request__compliance_class",
    "request__team__slug",
)


@signin_required
@require_safe
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET, teams=team_choices_for(user=request.user))
    filters = form.filters()
    accounts = account_list_for(user=request.user, filters=filters, search=form.search())
    accounts = accounts.order_by("name", "id").only(*TABLE_COLUMNS)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "vending/accounts/list.html",
        {
            "nav": "accounts",
            "form": form,
            "page": page,
            "filtered": bool(filters or form.search()),
            "account_url": url_around("account_detail", example="000000000000"),
            "request_url": url_around("request_detail", example="1"),
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
        return render(
            request,
            "vending/accounts/not_found.html",
            {"nav": "accounts", "account_id": account_id},
            status=404,
        )
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
    context: dict[str, Any] = {
        "nav": "accounts",
        "account": account,
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
    # When the policy read failed, the tags call would fail the same way (and as slowly).
    context["tags"] = account_tags_read(gateway=gateway, account=account, live=notice is None)
    context["p"] = account_progress(account)
    context["may_retry"] = is_admin(request.user)
    return render(request, "vending/accounts/detail.html", context)
