"""Shared helpers for the operator commands."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from vending.errors import DomainError


def user_named(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist as exc:
        raise CommandError(f"No user named '{username}'.") from exc


def domain_error(exc: DomainError) -> CommandError:
    details = [f"  {field}: {msg}" for field, msgs in exc.field_errors.items() for msg in msgs]
    return CommandError("\n".join([exc.message, *details]))
