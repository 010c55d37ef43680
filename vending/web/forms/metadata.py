"""The new-request form's owner, cost centre, tags, contacts and budget fields, and the
account page's budget form (admins). The rules are vending/account_metadata.py's, so
the page reports what the API would, every field at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from vending.account_metadata import (
    BUDGET_MAX,
    CONTACT_FIELDS,
    budget_errors,
    contact_errors,
    cost_centre_errors,
    tag_errors,
)
from vending.choices import AccountStatus, ContactType
from vending.models import VendedAccount
from vending.naming import PORTAL_TAG_KEYS
from vending.roles import User, is_admin
from vending.selectors.request_metadata import MetadataInput

CONTACT_LABELS = {"name": "Name", "title": "Title", "email": "E-mail", "phone": "Phone"}


def tag_lines(text: str) -> list[tuple[str, str]]:
    """`key=value` per line (the first `=` splits; blank lines skipped)."""
    pairs = []
    for line in text.splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


class AccountMetadataFields(forms.Form):
    """Mixed into the new-request form; the contacts' fields are added per type."""

    owner = forms.CharField(
        max_length=150,
        required=False,
        strip=True,
        help_text="A lead of the team (username); blank: you.",
    )
    cost_centre = forms.CharField(
        label="Cost centre",
        max_length=64,
        required=False,
        strip=True,
        help_text="What the accounts are charged to; blank: the team's slug.",
    )
    tags = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        strip=False,
        help_text="One key=value per line, set on the AWS accounts (no aws: or vending: keys).",
    )
    budget = forms.DecimalField(
        label="Monthly budget (USD)",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="Per account; blank: the organization's default for the class and "
        "environment, if any. E-mails the owner and the team's leads at 80% and 100%.",
    )

    def add_contact_fields(self) -> None:
        for kind in ContactType.values:
            for name, limit in CONTACT_FIELDS.items():
                self.fields[f"{kind}_{name}"] = forms.CharField(
                    label=CONTACT_LABELS[name], max_length=limit, required=False, strip=True
                )

    @property
    def metadata_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("owner", "cost_centre", "tags", "budget")]

    @property
    def contact_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (str(label), [self[f"{kind}_{name}"] for name in CONTACT_FIELDS])
            for kind, label in ContactType.choices
        ]

    def clean_cost_centre(self) -> str:
        value: str = self.cleaned_data.get("cost_centre", "")
        return _checked(value, cost_centre_errors(value) if value else [])

    def clean_tags(self) -> dict[str, str]:
        pairs = tag_lines(self.cleaned_data.get("tags", ""))
        return dict(_checked(pairs, tag_errors(pairs, portal_tags=len(PORTAL_TAG_KEYS))))

    def clean_budget(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("budget")
        return _checked(value, budget_errors(value) if value is not None else [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contacts = {}
        for kind in ContactType.values:
            given = {name: data.get(f"{kind}_{name}") or "" for name in CONTACT_FIELDS}
            if any(given.values()):
                contacts[kind] = given
        for message in contact_errors(contacts):
            where, _, text = message.partition(": ")
            field = where.replace(".", "_")
            self.add_error(field if field in self.fields else None, text or message)
        data["contacts"] = contacts
        return data

    def metadata(self) -> MetadataInput:
        return MetadataInput.of(self.cleaned_data)


class MetadataPreviewForm(AccountMetadataFields):
    """The new-request form's metadata fields alone, read for its live preview."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_contact_fields()


class AccountBudgetForm(forms.Form):
    """An admin's new monthly budget for a ready account; blank removes it."""

    amount = forms.DecimalField(
        label="Monthly budget (USD)",
        required=False,
        max_digits=12,
        decimal_places=2,
        max_value=BUDGET_MAX,
        help_text="Blank: no budget (the AWS Budget is deleted).",
    )

    def clean_amount(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("amount")
        return _checked(value, budget_errors(value) if value is not None else [])


def _checked(value: Any, problems: list[str]) -> Any:
    if problems:
        raise forms.ValidationError(problems)
    return value


def account_budget_form(user: User, account: VendedAccount) -> AccountBudgetForm | None:
    """The budget form the account's page shows to admins, for a ready account."""
    if not is_admin(user) or account.status != AccountStatus.READY:
        return None
    return AccountBudgetForm(initial={"amount": account.budget_amount})
