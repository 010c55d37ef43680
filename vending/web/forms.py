"""Every form of the web portal: they check shape, the services check rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.utils import timezone

from vending.choices import (
    AccountOrigin,
    AccountStatus,
    AuditAction,
    ComplianceClass,
    Environment,
    RequestStatus,
    ServiceStatus,
)
from vending.compliance.simulator import validate_action
from vending.errors import DomainError
from vending.models import Team
from vending.services.requests import JUSTIFICATION_MAX
from vending.web.metadata_forms import AccountBudgetForm, AccountMetadataFields
from vending.web.widgets import DirectSelect, DirectTextInput

__all__ = ["AccountBudgetForm"]  # the account page's (vending/web/metadata_forms.py)

# One line per class, shown beside its radio button.
CLASS_HELP: dict[str, str] = {
    ComplianceClass.GENERAL: "No restriction beyond the organization's guardrails.",
    ComplianceClass.HIPAA: "HIPAA-eligible services only.",
    ComplianceClass.PCI: "PCI DSS in-scope services only.",
    ComplianceClass.HIPAA_PCI: "Only services both HIPAA-eligible and PCI DSS in scope.",
}

ENVIRONMENT_REQUIRED = "Choose at least one environment."


class _TeamChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.slug})" if obj.name and obj.name != obj.slug else obj.slug


class RequestPreviewForm(forms.Form):
    """What the preview needs: everything but the justification."""

    team = _TeamChoice(queryset=Team.objects.none(), to_field_name="slug", empty_label=None)
    environments = forms.MultipleChoiceField(
        choices=Environment.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": ENVIRONMENT_REQUIRED},
    )
    compliance_class = forms.ChoiceField(
        choices=ComplianceClass.choices,
        widget=forms.RadioSelect,
        initial=ComplianceClass.GENERAL,
        label="Compliance class",
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = teams
        first = teams.first()
        if first is not None and not self.is_bound:
            self.initial.setdefault("team", first.slug)

    def add_domain_error(self, error: DomainError) -> None:
        """Put a service's field errors next to their fields; the rest above the form."""
        placed = False
        for name, messages in error.field_errors.items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, message)
                placed = True
        if not placed:
            self.add_error(None, error.message)


class AccountRequestForm(AccountMetadataFields, RequestPreviewForm):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=JUSTIFICATION_MAX,
        strip=True,
        help_text="What the accounts are for; approvers read this.",
        error_messages={"required": "Say why the accounts are needed."},
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, teams=teams, **kwargs)
        self.add_contact_fields()


class ApproveForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="Comment (optional)",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        label="Reason",
        help_text="Required; the requester sees it.",
        error_messages={"required": "Say why the request is rejected."},
    )

    def add_domain_error(self, error: DomainError) -> None:
        for message in error.field_errors.get("reason", []):
            self.add_error("reason", message)


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="Reason (optional)",
    )


class RequestFilterForm(forms.Form):
    """GET filters of the requests list; invalid values are ignored, not errors."""

    SCOPE_MINE = "mine"
    SCOPE_ALL = "all"

    scope = forms.ChoiceField(
        choices=[(SCOPE_MINE, "Mine only"), (SCOPE_ALL, "All requests")],
        required=False,
        label="Show",
    )
    team = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *RequestStatus.choices], required=False)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _team_choices(self.fields["team"], teams, "All teams")


class QueueFilterForm(forms.Form):
    team = forms.ChoiceField(required=False)
    compliance_class = forms.ChoiceField(
        choices=[("", "Any class"), *ComplianceClass.choices], required=False, label="Class"
    )
    environment = forms.ChoiceField(
        choices=[("", "Any environment"), *Environment.choices], required=False
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _team_choices(self.fields["team"], teams, "All teams")


class ServiceSearchForm(forms.Form):
    compliance_class = forms.ChoiceField(choices=ComplianceClass.choices)
    q = forms.CharField(required=False, max_length=100, label="Search services")
    status = forms.ChoiceField(
        choices=[("", "All"), *ServiceStatus.choices], required=False, label="Show"
    )


def _team_choices(field: forms.Field, teams: QuerySet[Team], empty: str) -> None:
    cast(forms.ChoiceField, field).choices = [("", empty), *((t.slug, t.slug) for t in teams)]


# -- accounts, organization, audit -------------------------------------------------------

_ANY = [("", "Any")]


class AccountTeamForm(forms.Form):
    """An admin gives an imported account to a team."""

    team = forms.SlugField(max_length=32, error_messages={"required": "Choose a team."})


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        strip=True,
        widget=DirectTextInput(
            {"type": "search", "placeholder": "Name, e-mail, id, owner, cost centre or tag"}
        ),
    )
    # Widgets without templates: the list page is rendered on every filter change.
    team = forms.ChoiceField(required=False, widget=DirectSelect)
    compliance_class = forms.ChoiceField(
        label="Class", choices=_ANY + ComplianceClass.choices, required=False, widget=DirectSelect
    )
    environment = forms.ChoiceField(
        choices=_ANY + Environment.choices, required=False, widget=DirectSelect
    )
    status = forms.ChoiceField(
        choices=_ANY + AccountStatus.choices, required=False, widget=DirectSelect
    )
    origin = forms.ChoiceField(
        choices=_ANY + AccountOrigin.choices, required=False, widget=DirectSelect
    )
    owner = forms.CharField(max_length=150, required=False, strip=True, widget=DirectTextInput)
    cost_centre = forms.CharField(
        label="Cost centre", max_length=64, required=False, strip=True, widget=DirectTextInput
    )
    tag = forms.CharField(
        max_length=400,
        required=False,
        strip=True,
        widget=DirectTextInput({"placeholder": "key:value"}),
    )

    FILTERS = (
        "team", "compliance_class", "environment", "status", "origin", "owner", "cost_centre",
        "tag",
    )  # fmt: skip

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _team_choices(self.fields["team"], teams, "Any")

    def filters(self) -> dict[str, str]:
        """The valid, non-empty filters (an invalid one is reported and ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.FILTERS if data.get(name)}

    def search(self) -> str:
        return str(getattr(self, "cleaned_data", {}).get("q") or "")


class AccountPolicyForm(forms.Form):
    q = forms.CharField(
        label="Find a service",
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput({"type": "search", "placeholder": "Prefix or name, e.g. s3"}),
    )
    status = forms.ChoiceField(
        label="Show", choices=[("", "All services"), *ServiceStatus.choices], required=False
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
        _team_choices(self.fields["team"], teams, "Any")

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


class ApiTokenForm(forms.Form):
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

    def add_domain_error(self, error: DomainError) -> None:
        fields = {n: m for n, m in error.field_errors.items() if n in self.fields}
        for name, messages in fields.items():
            for message in messages:
                self.add_error(name, message)
        if not fields:
            self.add_error(None, error.message)


class AccountChangeForm(forms.Form):
    """A request about an existing account: its new class (change_class) and why."""

    compliance_class = forms.ChoiceField(
        choices=ComplianceClass.choices,
        widget=forms.RadioSelect,
        required=False,
        label="New compliance class",
    )
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="The lease's new end",
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=JUSTIFICATION_MAX,
        strip=True,
        required=False,
        help_text="Approvers read this.",
    )

    def add_domain_error(self, error: DomainError) -> None:
        """A service's field errors next to their fields; the rest above the form."""
        placed = False
        for name, messages in error.field_errors.items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, message)
                placed = True
        if not placed:
            self.add_error(None, error.message)
