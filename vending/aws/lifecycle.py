"""The gateway's calls for an account's life after creation: invitations (handshakes),
removal from the organization and closing. `OrganizationsGateway` inherits them; they
use its `_call` and `_paginate`, so errors leave as `TransientAwsError` or
`PermanentAwsError` with the words of `vending.aws.explanations`.

Invite, remove and close are tried once (`retry=False`): none is idempotent as AWS
answers it (a repeated invitation is a DuplicateHandshakeException and counts towards
the day's 20, a repeated close a ConflictException), so after a lost answer the caller
checks what happened (`AwsError.may_have_acted`) instead of botocore repeating blindly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from vending.aws.types import Handshake, HandshakeState

INVITE = "INVITE"


class AccountLifecycleCalls:
    """Mixed into `OrganizationsGateway`; not used on its own."""

    def _call(self, operation: str, *, retry: bool = True, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by OrganizationsGateway

    def _paginate(self, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        raise NotImplementedError  # provided by OrganizationsGateway

    def invite_account(
        self,
        *,
        account_id: str | None = None,
        email: str | None = None,
        notes: str = "",
        tags: dict[str, str] | None = None,
    ) -> Handshake:
        """Invite an existing account (by id, or by its root e-mail) to the organization.
        `tags` are attached when it accepts."""
        if (account_id is None) == (email is None):
            raise ValueError("invite_account takes exactly one of account_id and email")
        target = (
            {"Id": account_id, "Type": "ACCOUNT"}
            if account_id is not None
            else {"Id": email, "Type": "EMAIL"}
        )
        kwargs: dict[str, Any] = {"Target": target}
        if notes:
            kwargs["Notes"] = notes
        if tags:
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        answer = self._call("invite_account_to_organization", retry=False, **kwargs)
        return handshake_from(answer["Handshake"])

    def describe_handshake(self, *, handshake_id: str) -> Handshake:
        return handshake_from(
            self._call("describe_handshake", HandshakeId=handshake_id)["Handshake"]
        )

    def list_handshakes(self) -> list[Handshake]:
        """The organization's invitations: open ones, and ended ones for 30 days."""
        return [
            handshake_from(h)
            for h in self._paginate(
                "list_handshakes_for_organization", "Handshakes", Filter={"ActionType": INVITE}
            )
        ]

    def cancel_handshake(self, *, handshake_id: str) -> Handshake:
        return handshake_from(self._call("cancel_handshake", HandshakeId=handshake_id)["Handshake"])

    def remove_account(self, *, account_id: str) -> None:
        """RemoveAccountFromOrganization: for invited accounts; one that lacks what a
        standalone account needs is refused (PermanentAwsError saying what is missing)."""
        self._call("remove_account_from_organization", retry=False, AccountId=account_id)

    def close_account(self, *, account_id: str) -> None:
        """CloseAccount: asynchronous; `describe_account` shows PENDING_CLOSURE, then
        SUSPENDED."""
        self._call("close_account", retry=False, AccountId=account_id)


def handshake_from(h: dict[str, Any]) -> Handshake:
    parties = h.get("Parties", [])
    organization = next((p["Id"] for p in parties if p.get("Type") == "ORGANIZATION"), "")
    invited: dict[str, Any] = next(
        (p for p in parties if p.get("Type") in ("ACCOUNT", "EMAIL")), {}
    )
    notes = next((r["Value"] for r in h.get("Resources", []) if r.get("Type") == "NOTES"), "")
    return Handshake(
        id=h["Id"],
        arn=h.get("Arn", ""),
        state=HandshakeState(h["State"]),
        action=h.get("Action", ""),
        organization_id=organization,
        target=invited.get("Id", ""),
        target_type=invited.get("Type", ""),
        requested_at=h.get("RequestedTimestamp"),
        expires_at=h.get("ExpirationTimestamp"),
        notes=notes,
    )
