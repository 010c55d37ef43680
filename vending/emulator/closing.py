"""CloseAccount as AWS does it: asynchronous, with a rolling 30-day quota.

moto closes an account at once (SUSPENDED). Here CloseAccount answers at once and the
account is PENDING_CLOSURE (Status and State) for ``close_delay_seconds``, then
SUSPENDED; 90 days later (the period in which AWS support can reopen it) its State
becomes CLOSED, while its deprecated Status, which has no such value, stays SUSPENDED.

AWS's refusals: the management account (ConstraintViolationException
CANNOT_CLOSE_MANAGEMENT_ACCOUNT), an account already closed (AccountAlreadyClosedException),
one whose closure is in progress (ConflictException: "conflicts with the current state of
the specified resource"), and the quota: "10% of member accounts, between 10 and 1000,
within a rolling 30 day period" (CLOSE_ACCOUNT_QUOTA_EXCEEDED). Member accounts are the
organization's accounts other than the management account, whatever their state, when
the call is made; 10% is rounded down.

Not thread-safe by itself: the WSGI app calls it under its state lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from moto.organizations.models import FakeAccount, OrganizationsBackend, organizations_backends

from .clock import DAY
from .config import EmulatorConfig
from .membership import checked_account_id, member
from .protocol import OrganizationsError, constraint_violation

QUOTA_WINDOW = 30 * DAY
REOPENABLE_FOR = 90 * DAY
ACTIVE, PENDING_CLOSURE, SUSPENDED, CLOSED = "ACTIVE", "PENDING_CLOSURE", "SUSPENDED", "CLOSED"


@dataclass
class Closure:
    organization_id: str
    management_account_id: str
    partition: str
    account_id: str
    requested_at: float
    suspends_at: float
    closes_at: float
    done: bool = False


class AccountClosures:
    def __init__(self) -> None:
        self.closures: list[Closure] = []

    def close(
        self,
        backend: OrganizationsBackend,
        payload: dict[str, Any],
        config: EmulatorConfig,
        now: float,
    ) -> dict[str, Any]:
        account_id = checked_account_id(payload)
        organization = backend.org
        assert organization is not None  # the app checks the caller's organization
        if account_id == organization.master_account_id:
            raise constraint_violation(
                "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
                "You attempted to close the management account. To close the management "
                "account for the organization, you must first either remove or close all "
                "member accounts in the organization.",
            )
        account = member(backend, account_id)
        if account.state in (SUSPENDED, CLOSED):
            raise OrganizationsError(
                "AccountAlreadyClosedException",
                "You attempted to close an account that is already closed.",
            )
        if account.state == PENDING_CLOSURE:
            raise OrganizationsError(
                "ConflictException",
                "The request failed because it conflicts with the current state of the "
                "specified resource: the account is already being closed.",
            )
        if self.closed_recently(organization.id, now) >= close_quota(backend, config):
            raise constraint_violation(
                "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
                "You have exceeded close account quota for the past 30 days.",
            )
        account.status = account.state = PENDING_CLOSURE
        suspends_at = now + config.close_delay_seconds
        self.closures.append(
            Closure(
                organization_id=organization.id,
                management_account_id=organization.master_account_id,
                partition=backend.partition,
                account_id=account_id,
                requested_at=now,
                suspends_at=suspends_at,
                closes_at=suspends_at + REOPENABLE_FOR,
            )
        )
        return {}

    def closed_recently(self, organization_id: str, now: float) -> int:
        return sum(
            1
            for closure in self.closures
            if closure.organization_id == organization_id
            and now - closure.requested_at < QUOTA_WINDOW
        )

    def complete_due(self, now: float) -> bool:
        """Move closures along (PENDING_CLOSURE -> SUSPENDED -> CLOSED); answer whether
        anything changed."""
        changed = False
        for closure in self.closures:
            if closure.done or closure.suspends_at > now:
                continue
            account = _account(closure)
            if account is None:  # left the organization, or the organization is gone
                closure.done = changed = True
                continue
            if account.state == PENDING_CLOSURE:
                account.status = account.state = SUSPENDED
                changed = True
            if closure.closes_at <= now:
                account.state = CLOSED
                closure.done = changed = True
        # Past the quota window and finished: nothing reads them any more.
        kept = [c for c in self.closures if not (c.done and now - c.requested_at >= QUOTA_WINDOW)]
        self.closures[:] = kept
        return changed


def close_quota(backend: OrganizationsBackend, config: EmulatorConfig) -> int:
    """How many accounts may be closed in 30 days: 10% of the member accounts, rounded
    down, at least 10 and at most 1000 (the percentages and bounds are configurable)."""
    organization = backend.org
    assert organization is not None
    members = sum(1 for a in backend.accounts if a.id != organization.master_account_id)
    share = math.floor(members * config.close_quota_percent / 100)
    return max(config.close_quota_min, min(config.close_quota_max, share))


def _account(closure: Closure) -> FakeAccount | None:
    per_account: Any = dict.get(organizations_backends, closure.management_account_id) or {}
    backend: OrganizationsBackend | None = dict.get(per_account, closure.partition)
    if backend is None or backend.org is None or backend.org.id != closure.organization_id:
        return None
    return next((a for a in backend.accounts if a.id == closure.account_id), None)
