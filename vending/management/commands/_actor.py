"""Shared helpers for the operator commands."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from vending.errors import DomainError
from vending.models import AccountRequest


def user_named(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist as exc:
        raise CommandError(f"No user named '{username}'.") from exc


def domain_error(exc: DomainError) -> CommandError:
    details = [
        f"  {_option(field)}: {msg}" for field, msgs in exc.field_errors.items() for msg in msgs
    ]
    return CommandError("\n".join([exc.message, *details]))


def iso_date(text: str) -> date:
    """An argparse type: a calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write it YYYY-MM-DD.") from exc


def request_input(data: dict[str, Any]) -> dict[str, Any]:
    """Check a request's fields with the API's own rules (one set of rules for both):
    the validated values, or CommandError naming each bad field."""
    from vending.api.request_kinds import RequestCreateInputSerializer

    given = {k: v for k, v in data.items() if v not in (None, "")}
    serializer = RequestCreateInputSerializer(data=given)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    lines = [
        f"  {_option(field)}: {message}"
        for field, messages in serializer.errors.items()
        for message in messages
    ]
    raise CommandError("\n".join(["The request cannot be made:", *lines]))


def submitted(request: AccountRequest) -> str:
    """The line every request command prints: scripts read the id from it."""
    return (
        f"Request #{request.pk} submitted: {request.get_status_display()}, "
        f"{request.approvals_required} approval(s) needed."
    )


# The API's field names as the request commands' options spell them (other fields, e.g.
# a blueprint's OU paths, are named as they are).
_OPTIONS = {
    "team": "--team",
    "kind": "--kind",
    "justification": "--justification",
    "email": "--email",
    "compliance_class": "--class",
    "environment": "--env",
    "environments": "--env",
    "account_id": "--account-id",
    "expires_on": "--expires-on",
}


def _option(field: str) -> str:
    return _OPTIONS.get(field, field)
