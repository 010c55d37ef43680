"""What InviteAccountToOrganization and the handshake lists accept as input, checked
as AWS checks it (InvalidInputException with its reason)."""

from __future__ import annotations

from typing import Any

from .membership import ACCOUNT_ID
from .protocol import EMAIL_PATTERN, invalid_input

MAX_NOTES = 1024
ACTION_TYPES = (
    "INVITE",
    "ENABLE_ALL_FEATURES",
    "APPROVE_ALL_FEATURES",
    "ADD_ORGANIZATIONS_SERVICE_LINKED_ROLE",
    "TRANSFER_RESPONSIBILITY",
)


def target(payload: dict[str, Any]) -> tuple[str, str]:
    target = payload.get("Target")
    if not isinstance(target, dict) or not isinstance(target.get("Id"), str):
        raise invalid_input("INPUT_REQUIRED", "You must specify a value for Target.")
    kind, value = target.get("Type"), target["Id"]
    if kind == "ACCOUNT":
        if not ACCOUNT_ID.fullmatch(value):
            raise invalid_input(
                "INVALID_PATTERN",
                "You provided a value that does not match the required pattern.",
            )
        return kind, value
    if kind == "EMAIL":
        if not (
            6 <= len(value) <= 64
            and EMAIL_PATTERN.fullmatch(value)
            and "." in value.rpartition("@")[2]
        ):
            raise invalid_input(
                "INVALID_EMAIL_ADDRESS_TARGET",
                "You specified an invalid email address for the invited account owner.",
            )
        return kind, value
    raise invalid_input(
        "INVALID_PARTY_TYPE_TARGET",
        "You specified the wrong type of entity (account, organization, or email) as a party.",
    )


def notes(payload: dict[str, Any]) -> str | None:
    notes = payload.get("Notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
        raise invalid_input(
            "MAX_LENGTH_EXCEEDED", f"Notes must be a string of at most {MAX_NOTES} characters."
        )
    return notes or None


def check_filter(payload: dict[str, Any]) -> None:
    wanted = payload.get("Filter") or {}
    if not isinstance(wanted, dict):
        raise invalid_input("INVALID_INPUT", "Filter must be an object.")
    if "ActionType" in wanted and "ParentHandshakeId" in wanted:
        raise invalid_input(
            "MAX_LIMIT_EXCEEDED_FILTER", "You can specify only one filter parameter."
        )
    if "ActionType" in wanted and wanted["ActionType"] not in ACTION_TYPES:
        raise invalid_input("INVALID_ENUM", "You specified an invalid value.")


def matches(handshake: Any, payload: dict[str, Any]) -> bool:
    wanted = payload.get("Filter") or {}
    if "ParentHandshakeId" in wanted:
        return False  # invitations have no parent handshake
    return wanted.get("ActionType", "INVITE") == "INVITE"
