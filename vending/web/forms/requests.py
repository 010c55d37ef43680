"""The forms of requests: a new account, an invitation, the approvers' decisions, the
lists' filters."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import validate_email
from django.db.models import QuerySet

from vending.choices import (
    ComplianceClass,
    Environment,
    RequestStatus,
    ServiceStatus,
)
from vending.errors import DomainError
from vending.models import Team
from vending.web.forms.base import (
    ENVIRONMENT_REQUIRED,
    LedTeamForm,
    class_field,
    justification_field,
    team_choices,
)
from vending.web.forms.metadata import AccountMetadataFields


class RequestPreviewForm(LedTeamForm):
    """What the preview needs: everything but the justification."""

    environments = forms.MultipleChoiceField(
        choices=Environment.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": ENVIRONMENT_REQUIRED},
    )
    compliance_class = class_field()
    expires_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Lease ends on (optional)",
        help_text="The portal decommissions the accounts that day unless the lease is extended.",
    )


class AccountRequestForm(AccountMetadataFields, RequestPreviewForm):
    justification = justification_field(
        "What the accounts are for; approvers read this.", "Say why the accounts are needed."
    )

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, teams=teams, **kwargs)
        self.add_contact_fields()


ACCOUNT_ID = re.compile(r"[0-9]{12}")


class InvitePreviewForm(LedTeamForm):
    """An invitation of an existing account, as far as its preview needs."""

    FIELD_ALIASES = {"account_id": "account", "email": "account"}

    compliance_class = class_field()
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.DEV)
    account = forms.CharField(
        max_length=64,
        strip=True,
        label="Account id or root e-mail",
        help_text="The 12-digit AWS account id, or the e-mail its root user signs in with.",
        error_messages={"required": "Give the account's 12-digit id or its root e-mail."},
    )

    def clean_account(self) -> str:
        value = str(self.cleaned_data["account"])
        if not ACCOUNT_ID.fullmatch(value) and not _is_email(value):
            raise forms.ValidationError("Give a 12-digit AWS account id or an e-mail address.")
        return value

    def target(self) -> tuple[str, str]:
        """(account_id, email) as the service takes them: one of the two is given."""
        value = self.cleaned_data["account"]
        return (value, "") if ACCOUNT_ID.fullmatch(value) else ("", value)


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except forms.ValidationError:
        return False
    return True


class InviteRequestForm(InvitePreviewForm):
    justification = justification_field(
        "What the account is for in the team; approvers read this.",
        "Say why the account should join.",
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
        team_choices(self.fields["team"], teams, "All teams")


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
        team_choices(self.fields["team"], teams, "All teams")


class ServiceSearchForm(forms.Form):
    compliance_class = forms.ChoiceField(choices=ComplianceClass.choices)
    q = forms.CharField(required=False, max_length=100, label="Search services")
    status = forms.ChoiceField(
        choices=[("", "All"), *ServiceStatus.choices], required=False, label="Show"
    )
