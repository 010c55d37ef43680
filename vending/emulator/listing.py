"""ListAccounts and ListAccountsForParent at AWS's page size, in time that does not grow
with the organization.

moto answers both with up to 100 accounts per page (AWS: at most 20), and builds every
page by describing every account of the organization, then walking the list to find
where the page token points: a page of an organization of 10,000 accounts takes 0.1 s,
under the emulator's lock. Here a page sorts references (cheap) and describes only the
accounts it returns. Pages are ordered by join time, so accounts created between two
page reads come last and the pages already read stay valid, as moto's do.

The class is not thread-safe by itself: the WSGI app calls it under its state lock.
"""

from __future__ import annotations

from typing import Any

from moto.organizations.exceptions import OrganizationsClientError
from moto.organizations.models import FakeAccount, OrganizationsBackend

from .config import EmulatorConfig
from .pages import page_bounds
from .protocol import OrganizationsError, invalid_input


def list_accounts(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any]:
    return _page(backend.accounts, payload)


def list_accounts_for_parent(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any]:
    parent_id = payload.get("ParentId")
    if not isinstance(parent_id, str):
        raise invalid_input("INPUT_REQUIRED", "You must specify a value for ParentId.")
    try:
        backend.validate_parent_id(parent_id)
    except OrganizationsClientError as error:
        raise OrganizationsError(error.code, error.message) from None
    return _page([a for a in backend.accounts if a.parent_id == parent_id], payload)


def _page(accounts: list[FakeAccount], payload: dict[str, Any]) -> dict[str, Any]:
    start, page_size = page_bounds(payload)
    ordered = sorted(accounts, key=lambda account: (account.create_time, account.id))
    answer: dict[str, Any] = {
        "Accounts": [account.describe() for account in ordered[start : start + page_size]]
    }
    if start + page_size < len(ordered):
        answer["NextToken"] = str(start + page_size)
    return answer


LISTINGS = {
    "ListAccounts": list_accounts,
    "ListAccountsForParent": list_accounts_for_parent,
}
