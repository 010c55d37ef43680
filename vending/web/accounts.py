"""Accounts: the inventory of vended accounts and one account's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from vending.aws import AwsError, TransientAwsError, get_gateway
from vending.choices import AccountStatus, ComplianceClass, Environment
from vending.compliance.simulator import validate_action
from vending.models import Team
from vending.selectors import NotInOrganization, account_get_for
from vending.selectors.inventory import (
    SERVICE_STATUSES,
    AccountPolicy,
    account_inventory_for,
    account_policy_read,
    account_tags_read,
    team_choices_for,
)

PAGE_SIZE = 50
_ANY = [("", "Any")]


@dataclass(frozen=True)
class AwsNotice:
    """Why a live AWS read is missing from a page (it still renders around it)."""

    # "unavailable": AWS did not answer (try again); "refused": AWS said no (a person
    # must act); "gone": the organization does not hold the account (any more).
    kind: str
    message: str


def aws_notice(exc: Exception) -> AwsNotice:
    if isinstance(exc, NotInOrganization):
        return AwsNotice("gone", str(exc))
    if isinstance(exc, TransientAwsError):
        return AwsNotice("unavailable", str(exc))
    return AwsNotice("refused", str(exc))


def load_roles(request: HttpRequest) -> None:
    """Load the user's groups once: every role check of this request (the selectors',
    the navigation's) then reads them instead of querying again."""
    if request.user.is_authenticated:
        prefetch_related_objects([request.user], "groups")


def htmx_target(request: HttpRequest) -> str:
    """The element id an htmx request will swap ("" for a full page, history included)."""
    if request.headers.get("HX-Request") != "true":
        return ""
    if request.headers.get("HX-History-Restore-Request") == "true":
        return ""
    return request.headers.get("HX-Target", "")


# -- the list -----------------------------------------------------------------------------


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput({"type": "search", "placeholder": "Name, e-mail or account id"}),
    )
    team = forms.ChoiceField(required=False)
    compliance_class = forms.ChoiceField(
        label="Class", choices=_ANY + ComplianceClass.choices, required=False
    )
    environment = forms.ChoiceField(choices=_ANY + Environment.choices, required=False)
    status = forms.ChoiceField(choices=_ANY + AccountStatus.choices, required=False)

    FILTERS = ("team", "compliance_class", "environment", "status")

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = _ANY + [
            (t.slug, t.slug) for t in teams
        ]

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (an invalid one is reported and ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.FILTERS if data.get(name)}

    def search(self) -> str:
        return str(getattr(self, "cleaned_data", {}).get("q") or "")


@login_required
@require_safe
def account_list(request: HttpRequest) -> HttpResponse:
    load_roles(request)
    form = AccountFilterForm(request.GET, teams=team_choices_for(user=request.user))
    filters = form.filters()
    accounts = account_inventory_for(user=request.user, filters=filters, search=form.search())
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "vending/accounts/list.html",
        {
            "nav": "accounts",
            "form": form,
            "page": page,
            "filtered": bool(filters or form.search()),
        },
    )


# -- one account --------------------------------------------------------------------------


class AccountPolicyForm(forms.Form):
    q = forms.CharField(
        label="Find a service",
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput({"type": "search", "placeholder": "Prefix or name, e.g. s3"}),
    )
    status = forms.ChoiceField(
        label="Show",
        choices=[("", "All services")] + [(s, s.capitalize()) for s in SERVICE_STATUSES],
        required=False,
    )
    action = forms.CharField(
        label="IAM action",
        max_length=256,
        required=False,
        strip=True,
        widget=forms.TextInput({"placeholder": "s3:GetObject", "spellcheck": "false"}),
    )

    def clean_action(self) -> str:
        action = str(self.cleaned_data.get("action") or "")
        if not action:
            return ""
        try:
            return validate_action(action)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


def _policy_context(
    policy: AccountPolicy | None, form: AccountPolicyForm, *, services: bool, explain: bool
) -> dict[str, Any]:
    data = form.cleaned_data  # the valid fields only: an invalid one is shown, not applied
    context: dict[str, Any] = {}
    if policy is not None and services:
        context["services"] = policy.services(
            search=data.get("q", ""), status=data.get("status", "")
        )
    action = data.get("action", "")
    if policy is not None and explain and action:
        context["decision"] = policy.explain(action)
    return context


@login_required
@require_safe
@vary_on_headers("HX-Request", "HX-Target")
def account_detail(request: HttpRequest, account_id: str) -> HttpResponse:
    load_roles(request)
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
    policy: AccountPolicy | None = None
    notice: AwsNotice | None = None
    target = htmx_target(request)
    try:
        # The page reads live; its search and explain boxes reuse that read.
        policy = account_policy_read(gateway=gateway, account_id=account_id, reuse=bool(target))
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
    return render(request, "vending/accounts/detail.html", context)
