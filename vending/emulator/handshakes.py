"""Invitations: InviteAccountToOrganization and the handshakes it opens.

A handshake is OPEN until its recipient accepts or declines it, the organization cancels
it, or 15 days pass (EXPIRED). Accepting makes the invited account a member under the
root. ACCEPTED, DECLINED, CANCELED and EXPIRED handshakes stay visible for 30 days,
then AWS deletes them, and so does the emulator. At most 20 invitations are sent per day:
counted over any 24 hours of the emulator's clock, the strictest reading of AWS's "per
day", so a portal that waits for it meets AWS's limit whichever way AWS counts.

The recipient acts through AcceptHandshake/DeclineHandshake with its own credentials,
or through ``POST /_emulator/handshakes/{id}/accept`` (and ``/decline``).

Inviting an account that is already in an organization (this one included) answers
HandshakeConstraintViolationException ALREADY_IN_AN_ORGANIZATION, the only refusal
InviteAccountToOrganization models for it.

Not thread-safe by itself: the WSGI app calls it under its state lock.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from moto.organizations.models import OrganizationsBackend, organizations_backends

from . import handshake_input as given
from .clock import DAY
from .config import EmulatorConfig
from .membership import Accounts, organization_of
from .pages import page
from .protocol import Caller, OrganizationsError, invalid_input

OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED = "OPEN", "ACCEPTED", "DECLINED", "CANCELED", "EXPIRED"
# Handshake: "Handshakes that are CANCELED, ACCEPTED, DECLINED, or EXPIRED show up in
# lists for only 30 days after entering that state."
SHOWN_AFTER_END = 30 * DAY
HANDSHAKE_ID = re.compile(r"h-[0-9a-z]{8,32}")


def handshake_error(code: str, message: str) -> OrganizationsError:
    return OrganizationsError(code, message)


def handshake_constraint(reason: str, message: str) -> OrganizationsError:
    return OrganizationsError("HandshakeConstraintViolationException", message, reason=reason)


NOT_FOUND = (
    "HandshakeNotFoundException",
    "We can't find a handshake with the HandshakeId that you specified.",
)
ALREADY_IN_STATE = (
    "HandshakeAlreadyInStateException",
    "The specified handshake is already in the requested state.",
)
ALREADY_MEMBER = (
    "ALREADY_IN_AN_ORGANIZATION",
    "The handshake request is invalid because the invited account is already a member of "
    "an organization.",
)


@dataclass
class Handshake:
    id: str
    organization_id: str
    management_account_id: str
    partition: str
    management_email: str
    management_name: str
    feature_set: str
    target_type: str  # ACCOUNT or EMAIL
    target: str
    notes: str | None
    tags: list[dict[str, str]]
    requested_at: float
    expires_at: float
    state: str = OPEN
    state_changed_at: float = 0.0

    def describe(self) -> dict[str, Any]:
        organization = {
            "Value": self.organization_id,
            "Type": "ORGANIZATION",
            "Resources": [
                {"Value": self.management_email, "Type": "MASTER_EMAIL"},
                {"Value": self.management_name, "Type": "MASTER_NAME"},
                {"Value": self.feature_set, "Type": "ORGANIZATION_FEATURE_SET"},
            ],
        }
        resources: list[dict[str, Any]] = [
            organization,
            {"Value": self.target, "Type": self.target_type},
        ]
        if self.notes:
            resources.append({"Value": self.notes, "Type": "NOTES"})
        return {
            "Id": self.id,
            "Arn": f"arn:{self.partition}:organizations::{self.management_account_id}:"
            f"handshake/{self.organization_id}/invite/{self.id}",
            "Parties": [
                {"Id": self.organization_id, "Type": "ORGANIZATION"},
                {"Id": self.target, "Type": self.target_type},
            ],
            "State": self.state,
            "RequestedTimestamp": self.requested_at,
            "ExpirationTimestamp": self.expires_at,
            "Action": "INVITE",
            "Resources": resources,
        }

    def shown(self, now: float) -> bool:
        return self.state == OPEN or now - self.state_changed_at < SHOWN_AFTER_END


class Handshakes:
    def __init__(self) -> None:
        self.items: dict[str, Handshake] = {}

    def invite(
        self,
        backend: OrganizationsBackend,
        payload: dict[str, Any],
        config: EmulatorConfig,
        now: float,
        accounts: Accounts,
    ) -> dict[str, Any]:
        organization = backend.org
        assert organization is not None  # the app checks the caller's organization
        target_type, target = given.target(payload)
        notes = given.notes(payload)
        if _in_an_organization(target_type, target, accounts):
            raise handshake_constraint(*ALREADY_MEMBER)
        for other in self.items.values():
            if (
                other.organization_id == organization.id
                and other.state == OPEN
                and self._same_recipient(other, target_type, target, accounts)
            ):
                raise handshake_error(
                    "DuplicateHandshakeException",
                    "A handshake with the same action and target already exists.",
                )
        sent_today = sum(
            1
            for other in self.items.values()
            if other.organization_id == organization.id and now - other.requested_at < DAY
        )
        if sent_today >= config.invitations_per_day:
            raise handshake_constraint(
                "HANDSHAKE_RATE_LIMIT_EXCEEDED",
                "You attempted to exceed the number of handshakes that you can send in one day.",
            )
        management = next(a for a in backend.accounts if a.id == organization.master_account_id)
        handshake = Handshake(
            id=f"h-{uuid.uuid4().hex}",
            organization_id=organization.id,
            management_account_id=organization.master_account_id,
            partition=backend.partition,
            management_email=organization.master_account_email,
            management_name=management.name,
            feature_set="FULL" if organization.feature_set == "ALL" else organization.feature_set,
            target_type=target_type,
            target=target,
            notes=notes,
            tags=list(payload.get("Tags") or []),
            requested_at=now,
            expires_at=now + config.handshake_expiry_days * DAY,
            state_changed_at=now,
        )
        self.items[handshake.id] = handshake
        return {"Handshake": handshake.describe()}

    def list_for_organization(
        self, backend: OrganizationsBackend, payload: dict[str, Any], now: float
    ) -> dict[str, Any]:
        organization = backend.org
        assert organization is not None
        given.check_filter(payload)
        shown = [
            h.describe()
            for h in self.items.values()
            if h.organization_id == organization.id and h.shown(now) and given.matches(h, payload)
        ]
        return page(shown, payload, "Handshakes")

    def list_for_account(
        self, caller: Caller, payload: dict[str, Any], now: float, accounts: Accounts
    ) -> dict[str, Any]:
        given.check_filter(payload)
        shown = [
            h.describe()
            for h in self.items.values()
            if self._is_recipient(h, caller.account_id, accounts)
            and h.shown(now)
            and given.matches(h, payload)
        ]
        return page(shown, payload, "Handshakes")

    def describe(
        self, caller: Caller, payload: dict[str, Any], now: float, accounts: Accounts
    ) -> dict[str, Any]:
        return {"Handshake": self.visible(caller, payload, now, accounts).describe()}

    def cancel(
        self, caller: Caller, payload: dict[str, Any], now: float, accounts: Accounts
    ) -> dict[str, Any]:
        handshake = self.visible(caller, payload, now, accounts)
        if caller.account_id != handshake.management_account_id:
            raise _access_denied("Only the account that sent a handshake can cancel it.")
        self._move(handshake, CANCELED, now)
        return {"Handshake": handshake.describe()}

    def respond(
        self,
        caller: Caller,
        payload: dict[str, Any],
        now: float,
        accounts: Accounts,
        *,
        accept: bool,
    ) -> dict[str, Any]:
        """AcceptHandshake (``accept=True``) or DeclineHandshake, as the recipient."""
        handshake = self.visible(caller, payload, now, accounts)
        if not self._is_recipient(handshake, caller.account_id, accounts):
            raise _access_denied("Only the invited account can accept or decline a handshake.")
        if not accept:
            self._move(handshake, DECLINED, now)
            return {"Handshake": handshake.describe()}
        self._check_transition(handshake, ACCEPTED)
        invited = accounts.standalone.get(caller.account_id)
        if invited is None:
            raise handshake_constraint(*ALREADY_MEMBER)
        sender = _sender_backend(handshake)
        accounts.join(sender, invited, handshake.tags, now)
        self._move(handshake, ACCEPTED, now)
        return {"Handshake": handshake.describe()}

    def recipient_of(self, handshake_id: str, accounts: Accounts) -> str:
        """The account id that may answer ``handshake_id`` (for the control endpoints)."""
        handshake = self.items.get(handshake_id)
        if handshake is None:
            raise LookupError(f"no handshake {handshake_id}")
        if handshake.target_type == "ACCOUNT":
            return handshake.target
        invited = accounts.by_email(handshake.target)
        if invited is None:
            raise LookupError(
                f"no account outside an organization has the e-mail {handshake.target}: "
                'create one with POST /_emulator/accounts {"name", "email"}'
            )
        return invited.id

    def expire_due(self, now: float) -> bool:
        """OPEN handshakes past their expiration become EXPIRED; answer whether any did."""
        changed = False
        for handshake in self.items.values():
            if handshake.state == OPEN and handshake.expires_at <= now:
                handshake.state, handshake.state_changed_at = EXPIRED, handshake.expires_at
                changed = True
        return changed

    def visible(
        self, caller: Caller, payload: dict[str, Any], now: float, accounts: Accounts
    ) -> Handshake:
        handshake_id = payload.get("HandshakeId")
        if not isinstance(handshake_id, str):
            raise invalid_input("INPUT_REQUIRED", "You must specify a value for HandshakeId.")
        if not HANDSHAKE_ID.fullmatch(handshake_id):
            raise invalid_input(
                "INVALID_PATTERN",
                "You provided a value that does not match the required pattern.",
            )
        handshake = self.items.get(handshake_id)
        if (
            handshake is None
            or not handshake.shown(now)
            or (
                caller.account_id != handshake.management_account_id
                and not self._is_recipient(handshake, caller.account_id, accounts)
            )
        ):
            raise handshake_error(*NOT_FOUND)
        return handshake

    def _move(self, handshake: Handshake, state: str, now: float) -> None:
        self._check_transition(handshake, state)
        handshake.state, handshake.state_changed_at = state, now

    @staticmethod
    def _check_transition(handshake: Handshake, state: str) -> None:
        if handshake.state == state:
            raise handshake_error(*ALREADY_IN_STATE)
        if handshake.state != OPEN:
            raise handshake_error(
                "InvalidHandshakeTransitionException",
                f"You can't perform the operation on the handshake in its current state "
                f"({handshake.state}).",
            )

    @staticmethod
    def _is_recipient(handshake: Handshake, account_id: str, accounts: Accounts) -> bool:
        if handshake.target_type == "ACCOUNT":
            return handshake.target == account_id
        invited = accounts.by_email(handshake.target)
        return invited is not None and invited.id == account_id

    @staticmethod
    def _same_recipient(
        handshake: Handshake, target_type: str, target: str, accounts: Accounts
    ) -> bool:
        def account_of(kind: str, value: str) -> str | None:
            if kind == "ACCOUNT":
                return value
            invited = accounts.by_email(value)
            return invited.id if invited is not None else None

        if handshake.target_type == target_type:
            return handshake.target.casefold() == target.casefold()
        one = account_of(handshake.target_type, handshake.target)
        return one is not None and one == account_of(target_type, target)


def _in_an_organization(target_type: str, target: str, accounts: Accounts) -> bool:
    if target_type == "ACCOUNT":
        return organization_of(target) is not None
    return accounts.by_email(target) is None and accounts.email_taken(target)


def _sender_backend(handshake: Handshake) -> OrganizationsBackend:
    backend = organizations_backends[handshake.management_account_id][handshake.partition]
    if backend.org is None or backend.org.id != handshake.organization_id:
        raise handshake_error(
            "InvalidHandshakeTransitionException",
            "The organization that sent this handshake no longer exists.",
        )
    return backend


def _access_denied(message: str) -> OrganizationsError:
    return OrganizationsError(
        "AccessDeniedException",
        f"You don't have permissions to perform the requested operation. {message}",
    )
