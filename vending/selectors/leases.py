"""Lease rules: the longest lease a class and environment may get (settings), and the
check of a requested end date; one rule for create requests and extensions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

REMINDER_DAYS = (7, 1)


def lease_max_days(*, compliance_class: str, environment: str) -> int | None:
    """The most specific of "class:environment", "class", "environment"; None: no limit."""
    table = settings.VENDING_LEASE_MAX_DAYS or {}
    for key in (f"{compliance_class}:{environment}", compliance_class, environment):
        if key in table:
            return int(table[key])
    return None


def lease_end_errors(
    *, expires_on: date, compliance_class: str, environments: Iterable[str]
) -> list[str]:
    """Why `expires_on` cannot be a lease's end for these accounts ([] when it can)."""
    today = timezone.localdate()
    if expires_on <= today:
        return ["The lease must end after today."]
    errors = []
    for env in environments:
        most = lease_max_days(compliance_class=compliance_class, environment=env)
        if most is not None and expires_on > today + timedelta(days=most):
            errors.append(
                f"At most {most} days for {compliance_class} {env} accounts: "
                f"{today + timedelta(days=most)} at the latest."
            )
    return errors
