"""Accounts outside any organization, and accounts joining or leaving one.

AWS accounts exist before and after their time in an organization: an invitation goes
to one, and RemoveAccountFromOrganization turns a member back into one. moto knows only
members, so the emulator keeps the others here (``POST /_emulator/accounts`` creates
one, so a demo has something to invite).

RemoveAccountFromOrganization needs the account to be able to stand alone. AWS says
what is missing with a ConstraintViolationException reason; here an account can be
given one (``POST /_emulator/accounts/{id}/leave-blocker``), and accounts the
organization created have one until told otherwise: WAIT_PERIOD_ACTIVE for their first
7 days, then MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED (a created account has no
payment method of its own). Invited accounts were standalone before: they can leave.

Not thread-safe by itself: the WSGI app calls it under its state lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.organizations import utils as moto_utils
from moto.organizations.models import (
    FakeAccount,
    FakeOrganization,
    FakePolicy,
    OrganizationsBackend,
    organizations_backends,
)

from .clock import DAY
from .protocol import (
    ACCOUNT_NAME_PATTERN,
    EMAIL_PATTERN,
    OrganizationsError,
    constraint_violation,
    invalid_input,
)

ACCOUNT_ID = re.compile(r"\d{12}")
# RemoveAccountFromOrganization: "After you create an Amazon Web Services account, you
# must wait until at least seven days after the account was created" (WAIT_PERIOD_ACTIVE).
CREATED_ACCOUNT_WAIT = 7 * DAY
# ConstraintViolationException reasons that say what an account lacks to stand alone,
# with AWS's own words (API reference, ConstraintViolationException).
LEAVE_BLOCKERS: dict[str, str] = {
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA": (
        "You attempted to remove an account from the organization that doesn't yet have "
        "enough information to exist as a standalone account. This account requires you "
        "to first agree to the AWS Customer Agreement."
    ),
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION": (
        "You attempted to remove an account from the organization that doesn't yet have "
        "enough information to exist as a standalone account. This account requires you "
        "to first complete phone verification."
    ),
    "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED": (
        "To complete this operation, you must first provide a valid contact address and "
        "a valid payment method for the member account."
    ),
    "INVALID_PAYMENT_INSTRUMENT": (
        "You cannot remove an account because no supported payment method is associated "
        "with the account."
    ),
    "WAIT_PERIOD_ACTIVE": (
        "After you create an AWS account, you must wait until at least seven days after "
        "the account was created. Invited accounts aren't subject to this waiting period."
    ),
}


@dataclass
class StandaloneAccount:
    """An AWS account that belongs to no organization."""

    id: str
    name: str
    email: str
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"account_id": self.id, "name": self.name, "email": self.email}


class Accounts:
    """The accounts outside any organization, and the leave blockers set on members."""

    def __init__(self) -> None:
        self.standalone: dict[str, StandaloneAccount] = {}
        # account id -> reason it cannot leave, or None: it can (set by the control API).
        self.leave_blockers: dict[str, str | None] = {}

    def create_standalone(self, body: dict[str, Any], now: float) -> StandaloneAccount:
        """``POST /_emulator/accounts {"name", "email", "account_id"?}``."""
        unknown = sorted(set(body) - {"name", "email", "account_id"})
        if unknown:
            raise ValueError(f'unknown fields: {unknown}; send {{"name", "email", "account_id"?}}')
        name, email = body.get("name"), body.get("email")
        if not isinstance(name, str) or not 1 <= len(name) <= 50:
            raise ValueError("name must be a string of 1 to 50 characters")
        if not ACCOUNT_NAME_PATTERN.fullmatch(name):
            raise ValueError("name must be printable ASCII")
        if not isinstance(email, str) or not 6 <= len(email) <= 64:
            raise ValueError("email must be a string of 6 to 64 characters")
        if not EMAIL_PATTERN.fullmatch(email) or "." not in email.rpartition("@")[2]:
            raise ValueError(f"email {email!r} is not an e-mail address")
        if self.email_taken(email):
            raise ValueError(f"an account with the e-mail {email} already exists")
        account_id = body.get("account_id") or self._new_id()
        if not isinstance(account_id, str) or not ACCOUNT_ID.fullmatch(account_id):
            raise ValueError("account_id must be 12 digits")
        if account_id in self.standalone or organization_of(account_id) is not None:
            raise ValueError(f"account {account_id} already exists")
        account = StandaloneAccount(account_id, name, email, now)
        self.standalone[account_id] = account
        return account

    def by_email(self, email: str) -> StandaloneAccount | None:
        wanted = email.casefold()
        return next((a for a in self.standalone.values() if a.email.casefold() == wanted), None)

    def email_taken(self, email: str) -> bool:
        """E-mails are unique across all of AWS: members of any organization count."""
        return self.by_email(email) is not None or member_by_email(email) is not None

    def set_leave_blocker(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /_emulator/accounts/{id}/leave-blocker {"reason": R | null}``."""
        if set(body) != {"reason"}:
            raise ValueError('send {"reason": REASON} or {"reason": null}')
        reason = body["reason"]
        if reason is not None and reason not in LEAVE_BLOCKERS:
            raise ValueError(f"reason must be null or one of {sorted(LEAVE_BLOCKERS)}")
        if organization_of(account_id) is None:
            raise LookupError(f"account {account_id} is not a member of any organization")
        self.leave_blockers[account_id] = reason
        return {"account_id": account_id, "leave_blocker": reason}

    def leave_blocker(self, account: FakeAccount, now: float) -> str | None:
        if account.id in self.leave_blockers:
            return self.leave_blockers[account.id]
        if account.joined_method != "CREATED":
            return None
        created = account.create_time.replace(tzinfo=UTC).timestamp()
        if now - created < CREATED_ACCOUNT_WAIT:
            return "WAIT_PERIOD_ACTIVE"
        return "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"

    def remove(self, backend: OrganizationsBackend, payload: dict[str, Any], now: float) -> dict:
        """RemoveAccountFromOrganization, with AWS's refusals; the account stands alone
        afterwards and can be invited again."""
        account_id = checked_account_id(payload)
        organization = backend.org
        assert organization is not None  # the app checks the caller's organization
        if account_id == organization.master_account_id:
            raise OrganizationsError(
                "MasterCannotLeaveOrganizationException",
                "You can't remove a management account from an organization. If you want "
                "the management account to become a member account in another "
                "organization, you must first delete the current organization of the "
                "management account.",
            )
        account = member(backend, account_id)
        if any(admin.account.id == account_id for admin in backend.admins):
            raise constraint_violation(
                "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
                "You attempted to remove an account that is registered as a delegated "
                "administrator for a service integrated with your organization.",
            )
        blocker = self.leave_blocker(account, now)
        if blocker is not None:
            raise constraint_violation(blocker, LEAVE_BLOCKERS[blocker])
        for policy in account.attached_policies:
            policy.attachments.remove(account)
        backend.accounts.remove(account)
        organizations_backends.master_accounts.pop(account_id, None)
        self.leave_blockers.pop(account_id, None)
        self.standalone[account_id] = StandaloneAccount(
            account_id, account.name, account.email, now
        )
        return {}

    def join(
        self,
        backend: OrganizationsBackend,
        account: StandaloneAccount,
        tags: list[dict[str, str]],
        now: float,
    ) -> FakeAccount:
        """The standalone account becomes a member, under the root (AcceptHandshake)."""
        organization = backend.org
        assert organization is not None
        member_account = add_member(
            backend,
            default_policies(backend),
            account_id=account.id,
            name=account.name,
            email=account.email,
            joined=datetime.fromtimestamp(now, UTC).replace(tzinfo=None),
            joined_method="INVITED",
        )
        member_account.tags = {tag["Key"]: tag["Value"] for tag in tags}
        del self.standalone[account.id]
        return member_account

    def _new_id(self) -> str:
        while True:
            account_id = moto_utils.make_random_account_id()
            if account_id not in self.standalone and organization_of(account_id) is None:
                return account_id


def checked_account_id(payload: dict[str, Any]) -> str:
    account_id = payload.get("AccountId")
    if not isinstance(account_id, str):
        raise invalid_input("INPUT_REQUIRED", "You must specify a value for AccountId.")
    if not ACCOUNT_ID.fullmatch(account_id):
        raise invalid_input(
            "INVALID_PATTERN", "You provided a value that does not match the required pattern."
        )
    return account_id


def member(backend: OrganizationsBackend, account_id: str) -> FakeAccount:
    account = next((a for a in backend.accounts if a.id == account_id), None)
    if account is None:
        raise OrganizationsError(
            "AccountNotFoundException",
            "You specified an account that doesn't exist.",
        )
    return account


def organization_of(account_id: str) -> tuple[str, str] | None:
    """(management account id, partition) of the organization ``account_id`` is in, or
    None when it is in none. A management account is in its own organization."""
    owner = organizations_backends.master_accounts.get(account_id)
    if owner is not None:
        return owner
    per_account = dict.get(organizations_backends, account_id)
    for partition, backend in dict.items(per_account or {}):
        if backend.org is not None:
            return account_id, partition
    return None


def member_by_email(email: str) -> FakeAccount | None:
    wanted = email.casefold()
    for per_account in dict.values(organizations_backends):
        for backend in dict.values(per_account):
            for account in backend.accounts:
                if account.email.casefold() == wanted:
                    return account
    return None


def default_policies(backend: OrganizationsBackend) -> list[FakePolicy]:
    """FullAWSAccess and RCPFullAWSAccess: what every new member gets attached."""
    return [
        backend.get_policy_by_id(policy_id)
        for policy_id in (moto_utils.DEFAULT_SCP_POLICY_ID, moto_utils.DEFAULT_RCP_POLICY_ID)
    ]


def add_member(
    backend: OrganizationsBackend,
    policies: list[FakePolicy],
    *,
    account_id: str,
    name: str,
    email: str,
    joined: datetime,
    joined_method: str,
) -> FakeAccount:
    """A member under the root, as moto's create_account makes one, without its scan of
    every account per policy and without the account's own IAM role (nothing the
    emulator serves reads it, and building it costs time growing with the organization)."""
    organization = backend.org
    assert organization is not None
    account = new_account(organization, account_id, name, email, joined, joined_method)
    for policy in policies:
        account.attached_policies.append(policy)
        policy.attachments.append(account)
    backend.accounts.append(account)
    organizations_backends.master_accounts[account_id] = (
        organization.master_account_id,
        backend.partition,
    )
    return account


def new_account(
    organization: FakeOrganization,
    account_id: str,
    name: str,
    email: str,
    joined: datetime,
    joined_method: str,
) -> FakeAccount:
    account: FakeAccount = object.__new__(FakeAccount)
    account.__dict__.update(
        type="ACCOUNT",
        region=organization.region,
        organization_id=organization.id,
        master_account_id=organization.master_account_id,
        create_account_status_id=moto_utils.make_random_create_account_status_id(),
        id=account_id,
        name=name,
        email=email,
        create_time=joined,
        status="ACTIVE",
        state="ACTIVE",
        joined_method=joined_method,
        parent_id=organization.root_id,
        attached_policies=[],
        tags={},
    )
    return account
