"""Forms of the request and approval pages: they check shape, the services check rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from vending.choices import ComplianceClass, Environment, RequestStatus
from vending.errors import DomainError
from vending.models import Team
from vending.services.requests import JUSTIFICATION_MAX

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


class AccountRequestForm(RequestPreviewForm):
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=JUSTIFICATION_MAX,
        strip=True,
        help_text="What the accounts are for; approvers read this.",
        error_messages={"required": "Say why the accounts are needed."},
    )


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
        team = self.fields["team"]
        assert isinstance(team, forms.ChoiceField)
        team.choices = [("", "All teams"), *((t.slug, t.slug) for t in teams)]


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
        team = self.fields["team"]
        assert isinstance(team, forms.ChoiceField)
        team.choices = [("", "All teams"), *((t.slug, t.slug) for t in teams)]


class ServiceSearchForm(forms.Form):
    compliance_class = forms.ChoiceField(choices=ComplianceClass.choices)
    q = forms.CharField(required=False, max_length=100, label="Search services")
    status = forms.ChoiceField(
        choices=[("", "All"), ("allowed", "Allowed"), ("partial", "Partial"), ("denied", "Denied")],
        required=False,
        label="Show",
    )
