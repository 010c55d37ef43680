"""A create (or invite) request's owner, cost centre, tags, contacts and budget, as given,
checked and completed with the portal's defaults before anything is stored.

The owner is a lead of the request's team (the portal knows no other members of a team,
and a lead is who answers for the team's accounts): the requester unless another lead
is named. The cost centre defaults to the team's slug. Budgets: the request's amount for
every account it creates, else the blueprint's default for the class and environment
(none when neither is set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from vending.account_metadata import (
    budget_errors,
    contact_errors,
    contacts_clean,
    cost_centre_errors,
    tag_errors,
    tag_pairs,
)
from vending.blueprint.current import class_budget_default
from vending.errors import InvalidInput
from vending.models import Team
from vending.naming import PORTAL_TAG_KEYS
from vending.roles import is_lead_of


@dataclass(frozen=True)
class MetadataInput:
    """As given: blank and None take the defaults."""

    owner: str = ""  # a username
    cost_centre: str = ""
    tags: Mapping[str, Any] = field(default_factory=dict)
    contacts: Mapping[str, Any] = field(default_factory=dict)
    budget: Decimal | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> MetadataInput:
        """From a form's or a serializer's cleaned data (absent keys: the defaults)."""
        return cls(
            owner=data.get("owner") or "",
            cost_centre=data.get("cost_centre") or "",
            tags=data.get("tags") or {},
            contacts=data.get("contacts") or {},
            budget=data.get("budget"),
        )


@dataclass(frozen=True)
class AccountMetadata:
    """Checked, with the defaults filled in."""

    owner: User
    cost_centre: str
    tags: dict[str, str]
    contacts: dict[str, dict[str, str]]
    budget: Decimal | None  # asked for on the request; accounts: `budget_for`

    def budget_for(self, *, compliance_class: str, environment: str) -> Decimal | None:
        return (
            self.budget
            if self.budget is not None
            else class_budget_default(compliance_class, environment)
        )

    def request_columns(self) -> dict[str, Any]:
        """The request's columns (RequestMetadataColumns)."""
        return {
            "owner": self.owner,
            "cost_centre": self.cost_centre,
            "tags": self.tags,
            "contacts": self.contacts,
            "budget_amount": self.budget,
        }

    def account_columns(self, compliance_class: str, environment: str) -> dict[str, Any]:
        """An account's copy, with the budget it gets (AccountMetadataColumns)."""
        return {
            **self.request_columns(),
            "budget_amount": self.budget_for(
                compliance_class=compliance_class, environment=environment
            ),
        }


def metadata_field_errors(given: MetadataInput) -> dict[str, list[str]]:
    """The problems of each field that need no database (tags, contacts, ...)."""
    errors = {
        "cost_centre": cost_centre_errors(given.cost_centre) if given.cost_centre else [],
        "tags": tag_errors(tag_pairs(given.tags), portal_tags=len(PORTAL_TAG_KEYS)),
        "contacts": contact_errors(given.contacts),
        "budget": budget_errors(given.budget) if given.budget is not None else [],
    }
    return {name: messages for name, messages in errors.items() if messages}


def owner_errors(*, team: Team, username: str) -> tuple[User | None, list[str]]:
    owner = get_user_model().objects.filter(username=username, is_active=True).first()
    if owner is None:
        return None, [f"There is no user '{username[:150]}'."]
    if not is_lead_of(owner, team):
        return None, [
            f"'{username}' is not a lead of team '{team.slug}': an account's owner is one "
            "of its team's leads."
        ]
    return owner, []


def request_metadata_check(*, team: Team, requester: User, given: MetadataInput) -> AccountMetadata:
    """`given` checked (every problem at once: InvalidInput with the fields' messages)
    and completed with the defaults."""
    errors = metadata_field_errors(given)
    owner: User | None = requester
    if given.owner and given.owner != requester.get_username():
        owner, problems = owner_errors(team=team, username=given.owner)
        if problems:
            errors["owner"] = problems
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, field_errors=errors)
    assert owner is not None
    return AccountMetadata(
        owner=owner,
        cost_centre=given.cost_centre or team.slug,
        tags={str(k): str(v) for k, v in given.tags.items()},
        contacts=contacts_clean(given.contacts),
        budget=given.budget,
    )


@dataclass(frozen=True)
class MetadataPreview:
    """What a request's preview shows of its accounts' owner, cost centre, tags, contacts
    and budgets (each environment's: the request's amount or the blueprint's default),
    or what is wrong with them."""

    metadata: AccountMetadata | None
    budgets: list[tuple[str, Decimal | None]]
    problems: list[str]

    @classmethod
    def refused(cls, problems: list[str]) -> MetadataPreview:
        return cls(None, [], problems)


def request_metadata_preview(
    *,
    team: Team,
    requester: User,
    given: MetadataInput,
    compliance_class: str,
    environments: list[str],
) -> MetadataPreview:
    """`request_metadata_check` for a preview: its problems as a list, not raised."""
    try:
        meta = request_metadata_check(team=team, requester=requester, given=given)
    except InvalidInput as exc:
        problems = [e for errors in exc.field_errors.values() for e in errors]
        return MetadataPreview.refused(problems or [exc.message])
    budgets = [
        (env, meta.budget_for(compliance_class=compliance_class, environment=env))
        for env in environments
    ]
    return MetadataPreview(meta, budgets, [])
