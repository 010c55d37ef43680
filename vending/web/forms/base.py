"""The pieces the portal's forms share: service errors placed next to their fields, the
teams a lead may choose, the class and justification fields."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from vending.choices import (
    ComplianceClass,
)
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


class DomainErrorForm(forms.Form):
    # A service's name for a field -> this form's (e.g. account_id -> account).
    FIELD_ALIASES: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        """Put a service's field errors next to their fields; the rest above the form."""
        named = {self.FIELD_ALIASES.get(n, n): m for n, m in error.field_errors.items()}
        fields = {n: m for n, m in named.items() if n in self.fields}
        for name, messages in fields.items():
            for message in messages:
                self.add_error(name, message)
        if not fields:
            self.add_error(None, error.message)


class TeamChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.slug})" if obj.name and obj.name != obj.slug else obj.slug


def class_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=ComplianceClass.choices,
        widget=forms.RadioSelect,
        initial=ComplianceClass.GENERAL,
        label="Compliance class",
    )


class LedTeamForm(DomainErrorForm):
    """A form for one of the teams the person leads (the first one by default)."""

    team = TeamChoice(queryset=Team.objects.none(), to_field_name="slug", empty_label=None)

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = teams
        first = teams.first()
        if first is not None and not self.is_bound:
            self.initial.setdefault("team", first.slug)


def justification_field(help_text: str, missing: str, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=JUSTIFICATION_MAX,
        strip=True,
        required=required,
        help_text=help_text,
        error_messages={"required": missing},
    )


def team_choices(field: forms.Field, teams: QuerySet[Team], empty: str) -> None:
    # The slugs alone: a list page builds this on every filter change, for every team.
    slugs = teams.values_list("slug", flat=True)
    cast(forms.ChoiceField, field).choices = [("", empty), *((s, s) for s in slugs)]
