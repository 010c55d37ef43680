"""Existing member accounts in bulk: an organization the size of a large company's.

Seeding writes straight into moto's backend instead of going through CreateAccount, so
10,000 accounts take seconds: no creation requests, no delay, no per-call HTTP. Seeded
accounts are ordinary ACTIVE members under the root, with FullAWSAccess (as every
account gets), named ``existing-000001`` ... with e-mails
``existing-000001@example.com`` ... They joined in the past, one second apart, so
paginated reads (ordered by join time) see each once.
They have no creation request: ListCreateAccountStatus does not show them, as for
accounts created long ago or invited.

The organization (all features) is created first when the management account has none,
so ``--seed-accounts`` works on an emulator that has just started. Not thread-safe by
itself: the WSGI app calls it under its state lock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from moto.organizations import utils as moto_utils

from .membership import add_member, default_policies
from .protocol import Caller

# Enough for the largest organizations AWS allows by default (10,000 accounts) several
# times over, while a typo (an extra zero or two) is refused instead of eating memory.
MAX_SEED_ACCOUNTS = 50_000
SEEDED_NAME = "existing-{:06d}"
SEEDED_EMAIL = "existing-{:06d}@example.com"
_REGION = "us-east-1"


def seed_count(value: Any) -> int:
    """``value`` as a number of accounts to seed, or ValueError saying what is accepted."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED_ACCOUNTS:
        raise ValueError(
            f"the number of accounts must be a whole number from 0 to {MAX_SEED_ACCOUNTS}"
        )
    return value


def seed_accounts(caller: Caller, count: int, now: datetime | None = None) -> dict[str, Any]:
    """Add ``count`` ACTIVE member accounts under the root of ``caller``'s organization.

    Answers what was done: accounts added, the organization's size now, and whether the
    organization had to be created first.
    """
    count = seed_count(count)
    backend = caller.backend()
    created_organization = backend.org is None
    if backend.org is None:
        backend.create_organization(region=_REGION, FeatureSet="ALL")
    organization = backend.org
    assert organization is not None  # created just above when it was missing
    policies = default_policies(backend)
    taken_ids = {account.id for account in backend.accounts}
    taken_emails = {account.email.casefold() for account in backend.accounts}
    number = len(backend.accounts)
    joined = (now or datetime.now(UTC)).replace(tzinfo=None) - timedelta(days=1, seconds=count)
    for index in range(count):
        while SEEDED_EMAIL.format(number).casefold() in taken_emails:
            number += 1
        account_id = moto_utils.make_random_account_id()
        while account_id in taken_ids:  # moto draws ids at random: a clash is rare
            account_id = moto_utils.make_random_account_id()
        add_member(
            backend,
            policies,
            account_id=account_id,
            name=SEEDED_NAME.format(number),
            email=SEEDED_EMAIL.format(number),
            joined=joined + timedelta(seconds=index),
            joined_method="CREATED",
        )
        taken_ids.add(account_id)
        taken_emails.add(SEEDED_EMAIL.format(number).casefold())
        number += 1
    return {
        "seeded": count,
        "accounts": len(backend.accounts),
        "organization_created": created_organization,
    }
