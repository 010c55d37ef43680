"""Builders of many rows at once, for the tests that measure query counts and paging.

Rows are written with `bulk_create`, not through the services: these tests are about
reading many records, and the services would make them slow for no gain.
"""

from __future__ import annotations

from typing import Any

from vending.choices import AccountStatus
from vending.models import AccountRequest, Team, VendedAccount


def bulk_accounts(
    *, team: Team, requester: Any, count: int, status: str = AccountStatus.READY
) -> list[VendedAccount]:
    """`count` general dev accounts of `team`, one request each, named `bulk-00000`...
    with account ids `000000000000`, `000000000001`, ..."""
    requests = AccountRequest.objects.bulk_create(
        AccountRequest(
            team=team,
            requester=requester,
            compliance_class="general",
            environments=["dev"],
            justification="bulk",
        )
        for _ in range(count)
    )
    return VendedAccount.objects.bulk_create(
        VendedAccount(
            request=r,
            environment="dev",
            name=f"bulk-{i:05d}",
            email=f"aws+bulk-{i:05d}@example.com",
            target_ou_path="GeneralOU",
            account_id=f"{i:012d}",
            status=status,
        )
        for i, r in enumerate(requests)
    )
