"""The forms of accounts: the list's filters, the team of an imported account, the policy
simulator, a request about an existing account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from vending.choices import (
    AccountOrigin,
    AccountStatus,
    ComplianceClass,
    Environment,
    ServiceStatus,
)
from vending.compliance.simulator import validate_action
from vending.models import Team
from vending.web.forms.base import DomainErrorForm, justification_field, team_choices
from vending.web.widgets import DirectSelect, DirectTextInput

_ANY = [("", "Any")]


class AccountTeamForm(forms.Form):
    """An admin gives an imported account to a team, as one of its environments."""

    team = forms.SlugField(max_length=32, error_messages={"required": "Choose a team."})
    environment = forms.ChoiceField(
        choices=[("", "none"), *Environment.choices],
        required=False,
        error_messages={"invalid_choice": f"Choose {', '.join(Environment.values)} or none."},
    )


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
        team_choices(self.fields["team"], teams, "Any")

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


class AccountChangeForm(DomainErrorForm):
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
    justification = justification_field("Approvers read this.", "", required=False)
