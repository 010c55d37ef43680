"""An account's owner, cost centre, tags, contacts and budget in the API: the fields a
create (or invite) request takes, and how requests and accounts render them. The rules
are vending/account_metadata.py's, checked here so their messages come with every other
field's, in one answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vending.account_metadata import (
    BUDGET_CURRENCY,
    budget_errors,
    contact_errors,
    cost_centre_errors,
    tag_errors,
)
from vending.choices import SetupStatus
from vending.naming import PORTAL_TAG_KEYS
from vending.selectors.request_metadata import MetadataInput

METADATA_FIELDS = frozenset({"owner", "cost_centre", "tags", "contacts", "budget"})
# What an invitation takes of them: contacts and budgets are for accounts the portal creates.
INVITE_METADATA_FIELDS = frozenset({"owner", "cost_centre", "tags"})


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="1-64 characters.")
    title = serializers.CharField(help_text="1-50 characters.")
    email = serializers.CharField(help_text="An e-mail address, at most 254 characters.")
    phone = serializers.CharField(help_text="1-25 digits, spaces and ( ) + -.")


class ContactsSerializer(serializers.Serializer):
    billing = ContactSerializer(required=False)
    operations = ContactSerializer(required=False)
    security = ContactSerializer(required=False)


@extend_schema_field(ContactsSerializer)
class ContactsField(serializers.JSONField):
    """The alternate contacts, checked against the Account API's rules (every problem)."""


class MetadataInputFields(serializers.Serializer):
    """Mixed into the request input serializers."""

    owner = serializers.CharField(
        max_length=150,
        required=False,
        help_text="create, invite: the accounts' owner, a lead of the team (default: you).",
    )
    cost_centre = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="create, invite: what the accounts are charged to; 1-64 letters, digits "
        "and . _ / - (default: the team's slug).",
    )
    tags = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="create, invite: extra tags {key: value} on the AWS accounts (AWS's rules; "
        "no `aws:` or `vending:` keys; at most "
        f"{50 - len(PORTAL_TAG_KEYS)} besides the portal's own).",
    )
    contacts = ContactsField(
        required=False,
        help_text="create: the accounts' alternate contacts (billing, operations, security).",
    )
    budget = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="create: each account's monthly budget in USD (default: the blueprint's "
        "for its class and environment, if any).",
    )

    def validate_cost_centre(self, value: str) -> str:
        return _checked(value, cost_centre_errors(value) if value else [])

    def validate_tags(self, value: dict[str, str]) -> dict[str, str]:
        return _checked(value, tag_errors(value.items(), portal_tags=len(PORTAL_TAG_KEYS)))

    def validate_contacts(self, value: Any) -> Any:
        return _checked(value, contact_errors(value))

    def validate_budget(self, value: Decimal | None) -> Decimal | None:
        return _checked(value, budget_errors(value) if value is not None else [])


def _checked(value: Any, problems: list[str]) -> Any:
    if problems:
        raise serializers.ValidationError(problems)
    return value


def metadata_input(data: dict[str, Any]) -> MetadataInput:
    return MetadataInput.of(data)


class BudgetSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        coerce_to_string=True,
        allow_null=True,
        help_text="Monthly; null once removed.",
    )
    currency = serializers.CharField(help_text="USD.")
    status = serializers.ChoiceField(
        choices=SetupStatus.choices,
        allow_blank=True,
        help_text="In AWS: pending, done, failed (see `error`) or removed.",
    )
    error = serializers.CharField(help_text="AWS's refusal, when failed.")


def budget_of(amount: Any, status: str, error: str) -> dict[str, Any] | None:
    """An account's budget as the API renders it; None when it has none and had none."""
    if amount is None and not status:
        return None
    return {
        "amount": None if amount is None else f"{Decimal(amount):.2f}",
        "currency": BUDGET_CURRENCY,
        "status": status,
        "error": error,
    }


class AccountMetadataSerializer(serializers.Serializer):
    """Mixed into the account serializers."""

    owner = serializers.CharField(
        source="owner.username", allow_null=True, default=None, help_text="A lead of its team."
    )
    cost_centre = serializers.CharField()
    tags = serializers.DictField(
        child=serializers.CharField(), help_text="Requested tags, besides `vending:` ones."
    )
    contacts = ContactsSerializer()
    contacts_status = serializers.ChoiceField(choices=SetupStatus.choices, allow_blank=True)
    contacts_error = serializers.CharField()
    budget = serializers.SerializerMethodField()

    @extend_schema_field(BudgetSerializer(allow_null=True))
    def get_budget(self, account: Any) -> dict[str, Any] | None:
        return budget_of(account.budget_amount, account.budget_status, account.budget_error)


class RequestMetadataSerializer(serializers.Serializer):
    """Mixed into the request serializer: what the request asked for."""

    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    cost_centre = serializers.CharField()
    tags = serializers.DictField(child=serializers.CharField())
    contacts = ContactsSerializer()
    budget = serializers.DecimalField(
        source="budget_amount",
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Asked for, in USD a month (null: the blueprint's default per account).",
    )


class AccountBudgetInputFields(serializers.Serializer):
    """An account's new monthly budget (null: none)."""

    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="USD a month; null: none."
    )

    def validate_amount(self, value: Decimal | None) -> Decimal | None:
        return _checked(value, budget_errors(value) if value is not None else [])


class MetadataPreviewSerializer(serializers.Serializer):
    """What the accounts of a create request will carry (its metadata, defaults filled)."""

    owner = serializers.CharField(source="owner.username")
    cost_centre = serializers.CharField()
    tags = serializers.DictField(child=serializers.CharField())
    contacts = ContactsSerializer()
    budgets = serializers.SerializerMethodField(
        help_text="Each environment's monthly budget in USD (null: none)."
    )

    @extend_schema_field(serializers.DictField(child=serializers.CharField(allow_null=True)))
    def get_budgets(self, meta: Any) -> dict[str, str | None]:
        budgets = {
            env: meta.budget_for(compliance_class=self.context["compliance_class"], environment=env)
            for env in self.context["environments"]
        }
        return {env: None if b is None else f"{b:.2f}" for env, b in budgets.items()}
