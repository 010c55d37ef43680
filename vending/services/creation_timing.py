"""When to read a creation's status: after a typical creation (learned from the last
ones the portal saw), and while it is still in progress, after a tenth of its age
(`vending.services.account_creation` explains the reads)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from vending.models import VendedAccount
from vending.selectors.provisioning import creation_seconds_typical

# A creation still in progress is read again after this share of its age...
RECHECK_SHARE = 0.1
# ...and never sooner than this many seconds.
MIN_RECHECK_SECONDS = 1.0
# The first read waits this much more than a typical creation: our clock against AWS's,
# and the way back of CreateAccount's answer.
FIRST_CHECK_SLACK = 0.01
FIRST_CHECK_MARGIN_SECONDS = 0.05


def creation_seconds_learned() -> float | None:
    return creation_seconds_typical(samples=settings.VENDING_CREATE_DURATION_SAMPLES)


def creation_seconds_expected() -> float:
    """How long a creation is expected to take: learned, else the first read's delay."""
    typical = creation_seconds_learned()
    return settings.VENDING_CREATE_FIRST_CHECK_SECONDS if typical is None else typical


def first_check_countdown() -> float:
    expected = creation_seconds_expected()
    return expected * (1 + FIRST_CHECK_SLACK) + FIRST_CHECK_MARGIN_SECONDS


def recheck_countdown(account: VendedAccount, now: datetime) -> float:
    """When to read a creation still in progress again: after a tenth of its age."""
    wait = RECHECK_SHARE * creation_age(account, now)
    return min(max(wait, MIN_RECHECK_SECONDS), float(settings.VENDING_POLL_MAX_COUNTDOWN))


def creation_age(account: VendedAccount, now: datetime) -> float:
    return (now - (account.create_requested_at or account.created_at)).total_seconds()
