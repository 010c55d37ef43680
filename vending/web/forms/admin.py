"""The forms of the audit trail, API tokens and webhook endpoints."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from vending.choices import (
    AuditAction,
)
from vending.models import Team
from vending.web.forms.base import DomainErrorForm, team_choices
from vending.webhooks import SUBSCRIBABLE


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

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_choices(self.fields["team"], teams, "Any")

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


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ApiTokenForm(DomainErrorForm):
    """A new API token: what will use it, and how long it lives (the service checks the
    limits again, and that the name is not taken)."""

    name = forms.CharField(
        max_length=100,
        strip=True,
        help_text="What will use it, e.g. “ci-pipeline”.",
        error_messages={"required": "Give the token a name (what will use it)."},
    )
    expires_in_days = forms.IntegerField(label="Expires in (days)", min_value=1)

    def __init__(self, *args: Any, default_days: int, max_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["expires_in_days"]
        assert isinstance(field, forms.IntegerField)
        field.initial = default_days
        field.max_value = max_days
        field.validators.append(MaxValueValidator(max_days))
        field.widget.attrs.update({"min": 1, "max": max_days})
        field.help_text = f"1 to {max_days} days."


class WebhookEndpointForm(DomainErrorForm):
    """A webhook endpoint: where, and which events (the service checks the URL)."""

    name = forms.CharField(
        max_length=100,
        strip=True,
        help_text="Who receives it, e.g. “platform-team Slack”.",
        error_messages={"required": "Give the endpoint a name."},
    )
    # A CharField, not a URLField: the service says why a URL is refused (ftp://, a
    # link-local address) in words of its own.
    url = forms.CharField(
        label="URL",
        max_length=500,
        strip=True,
        help_text="http:// or https://; it receives a signed JSON POST per event.",
        error_messages={"required": "Give the URL that receives the events."},
    )
    events = forms.MultipleChoiceField(
        choices=[(k.value, k.label) for k in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
