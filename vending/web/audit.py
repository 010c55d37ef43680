"""Audit: the append-only event log, for approvers and admins."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from vending.choices import AuditAction
from vending.errors import PermissionDenied
from vending.selectors.inventory import audit_event_list_newest_for, team_choices_for
from vending.web.accounts import load_roles

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any"), *AuditAction.choices], required=False)
    team = forms.ChoiceField(required=False)
    request = forms.IntegerField(label="Request", min_value=1, max_value=2**63 - 1, required=False)
    actor = forms.CharField(label="Actor", max_length=150, required=False, strip=True)
    since = forms.DateField(
        label="From (UTC)", required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label="To (UTC)", required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, *args: Any, team_slugs: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", "Any"),
            *((s, s) for s in team_slugs),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self) -> dict[str, Any]:
        """The valid, non-empty filters; dates become [since 00:00, until+1 day 00:00)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out: dict[str, Any] = {
            name: data[name]
            for name in ("action", "team", "request", "actor")
            if data.get(name) not in (None, "")
        }
        if data.get("since"):
            out["since"] = _start_of(data["since"])
        if data.get("until") and "until" not in self.errors:
            out["until"] = _start_of(data["until"] + timedelta(days=1))
        return out


def _start_of(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@login_required
@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    load_roles(request)
    teams = team_choices_for(user=request.user)
    form = AuditFilterForm(request.GET, team_slugs=[t.slug for t in teams])
    try:
        events = audit_event_list_newest_for(user=request.user, filters=form.filters())
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
