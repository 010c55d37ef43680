"""Asynchronous CreateAccount, as AWS does it and moto does not.

moto creates the account synchronously and never fails. Here CreateAccount only records
a request (``car-...``) that stays IN_PROGRESS for ``create_delay_seconds``; once the
delay has passed it either fails with a documented ``FailureReason`` or creates the
account in moto (in the root, with the requested name, e-mail and tags), after which
every other moto call works on it.

Failures can be injected by e-mail: a local part containing ``+fail-<reason>`` with the
reason in kebab-case (``aws+fail-account-limit-exceeded@example.com``) fails with
``ACCOUNT_LIMIT_EXCEEDED``. The reason ends at the first character that is not a letter,
digit or hyphen, so ``aws+fail-internal-failure+2@example.com`` stays unique. Leading
whole words that name one reason only are enough (``+fail-update-existing``), because
the longest reason does not fit in a 64-character address. Anything else is an ordinary
address, as it would be for AWS.

The class is not thread-safe by itself: the WSGI app calls it under its state lock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.organizations.exceptions import OrganizationsClientError

from .config import EmulatorConfig
from .protocol import (
    ACCOUNT_NAME_PATTERN,
    EMAIL_PATTERN,
    Caller,
    OrganizationsError,
    constraint_violation,
    invalid_input,
)

# CreateAccountStatus.FailureReason values from the Organizations API reference
# (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccountStatus.html).
CREATE_ACCOUNT_FAILURE_REASONS: tuple[str, ...] = (
    "ACCOUNT_LIMIT_EXCEEDED",
    "EMAIL_ALREADY_EXISTS",
    "INVALID_ADDRESS",
    "INVALID_EMAIL",
    "CONCURRENT_ACCOUNT_MODIFICATION",
    "INTERNAL_FAILURE",
    "GOVCLOUD_ACCOUNT_ALREADY_EXISTS",
    "MISSING_BUSINESS_VALIDATION",
    "FAILED_BUSINESS_VALIDATION",
    "PENDING_BUSINESS_VALIDATION",
    "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION",
    "UNKNOWN_BUSINESS_VALIDATION",
    "MISSING_PAYMENT_INSTRUMENT",
    "INVALID_PAYMENT_INSTRUMENT",
    "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED",
)

IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
_STATES = (IN_PROGRESS, SUCCEEDED, FAILED)
# ListCreateAccountStatus: MaxResults is 1-20 (API reference).
_MAX_PAGE = 20

_FAILURE_MARKER = re.compile(r"\+fail-([a-z0-9-]+)", re.IGNORECASE)


@dataclass
class CreationRequest:
    id: str
    caller: Caller
    name: str
    email: str
    role_name: str | None
    tags: list[dict[str, str]]
    requested_at: float
    deadline: float
    # Decided when the request arrives (like AWS's own checks), revealed at the deadline.
    planned_failure: str | None
    state: str = IN_PROGRESS
    account_id: str | None = None
    failure_reason: str | None = None
    completed_at: float | None = None

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "Id": self.id,
            "AccountName": self.name,
            "State": self.state,
            "RequestedTimestamp": self.requested_at,
        }
        if self.completed_at is not None:
            status["CompletedTimestamp"] = self.completed_at
        if self.account_id is not None:
            status["AccountId"] = self.account_id
        if self.failure_reason is not None:
            status["FailureReason"] = self.failure_reason
        return status


class AccountCreations:
    def __init__(self) -> None:
        self._requests: dict[str, CreationRequest] = {}

    def clear(self) -> None:
        self._requests.clear()

    def in_progress(self, caller: Caller | None = None) -> int:
        return sum(
            1
            for request in self._requests.values()
            if request.state == IN_PROGRESS and (caller is None or request.caller == caller)
        )

    def create(
        self,
        caller: Caller,
        payload: dict[str, Any],
        config: EmulatorConfig,
        now: float,
        email_taken: Callable[[str], bool] = lambda email: False,
    ) -> dict[str, Any]:
        """``email_taken`` tells whether an account outside the caller's organization
        already has the e-mail (e-mails are unique across all of AWS)."""
        email, name = _validated(payload)
        if self.in_progress(caller) >= config.max_in_progress_creations:
            # ConstraintViolationException reason ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED:
            # "You attempted to exceed the number of accounts that can be in progress at
            # a time." (API reference, ConstraintViolationException).
            raise constraint_violation(
                "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED",
                "You have exceeded the number of accounts that can be created at a time.",
            )
        request = CreationRequest(
            id=f"car-{uuid.uuid4().hex}",
            caller=caller,
            name=name,
            email=email,
            role_name=payload.get("RoleName"),
            tags=list(payload.get("Tags") or []),
            requested_at=now,
            deadline=now + config.create_delay_seconds,
            planned_failure=injected_failure(email)
            or self._duplicate_email(caller, email, email_taken),
        )
        self._requests[request.id] = request
        return {"CreateAccountStatus": request.status()}

    def describe(self, caller: Caller, payload: dict[str, Any]) -> dict[str, Any]:
        request = self._requests.get(str(payload.get("CreateAccountRequestId")))
        if request is None or request.caller != caller:
            raise OrganizationsError(
                "CreateAccountStatusNotFoundException",
                "We can't find an create account request with the CreateAccountRequestId "
                "that you specified.",
            )
        return {"CreateAccountStatus": request.status()}

    def list(self, caller: Caller, payload: dict[str, Any]) -> dict[str, Any]:
        states = payload.get("States") or list(_STATES)
        if any(state not in _STATES for state in states):
            raise invalid_input("INVALID_ENUM", "You specified an invalid value.")
        page_size = payload.get("MaxResults") or _MAX_PAGE
        if not isinstance(page_size, int) or not 1 <= page_size <= _MAX_PAGE:
            raise invalid_input("MAX_VALUE_EXCEEDED", "MaxResults must be between 1 and 20.")
        try:
            start = int(payload.get("NextToken") or 0)
        except ValueError:
            raise invalid_input(
                "INVALID_NEXT_TOKEN", "The specified pagination token isn't valid."
            ) from None
        matching = [
            request.status()
            for request in self._requests.values()
            if request.caller == caller and request.state in states
        ]
        answer: dict[str, Any] = {"CreateAccountStatuses": matching[start : start + page_size]}
        if start + page_size < len(matching):
            answer["NextToken"] = str(start + page_size)
        return answer

    def complete_due(self, now: float) -> bool:
        """Finish the creations whose delay has passed; answer whether any did."""
        due = [r for r in self._requests.values() if r.state == IN_PROGRESS and r.deadline <= now]
        for request in sorted(due, key=lambda r: r.deadline):
            # Stamped with the deadline, not "now", so lazy completion on a later request
            # does not make an account look slower to create than configured.
            request.completed_at = request.deadline
            if request.planned_failure is not None:
                request.state, request.failure_reason = FAILED, request.planned_failure
                continue
            try:
                request.account_id = _create_in_moto(request)
                request.state = SUCCEEDED
            except OrganizationsClientError:
                # The organization vanished (e.g. DeleteOrganization) while creating.
                request.state, request.failure_reason = FAILED, "INTERNAL_FAILURE"
        return bool(due)

    def _duplicate_email(
        self, caller: Caller, email: str, email_taken: Callable[[str], bool]
    ) -> str | None:
        # E-mails are unique across all of AWS: earlier requests of any organization
        # count, and the comparison ignores case.
        wanted = email.casefold()
        taken = (
            any(a.email.casefold() == wanted for a in caller.backend().accounts)
            or any(
                r.email.casefold() == wanted and r.state != FAILED for r in self._requests.values()
            )
            or email_taken(email)
        )
        return "EMAIL_ALREADY_EXISTS" if taken else None


def injected_failure(email: str) -> str | None:
    """The FailureReason requested by a ``+fail-<reason>`` marker in the local part."""
    local_part = email.rpartition("@")[0]
    for match in _FAILURE_MARKER.finditer(local_part):
        words = match.group(1).upper().replace("-", "_")
        if words in CREATE_ACCOUNT_FAILURE_REASONS:
            return words
        candidates = [r for r in CREATE_ACCOUNT_FAILURE_REASONS if r.startswith(words + "_")]
        if len(candidates) == 1:
            return candidates[0]
    return None


def _validated(payload: dict[str, Any]) -> tuple[str, str]:
    """Check Email and AccountName against the API's constraints; answer them back."""
    email = _checked_string(payload, "Email", 6, 64)
    if not (email.isascii() and EMAIL_PATTERN.fullmatch(email) and "." in email.rpartition("@")[2]):
        raise invalid_input(
            "INVALID_PATTERN", "You provided a value that does not match the required pattern."
        )
    name = _checked_string(payload, "AccountName", 1, 50)
    if not ACCOUNT_NAME_PATTERN.fullmatch(name):
        raise invalid_input(
            "INVALID_PATTERN", "You provided a value that does not match the required pattern."
        )
    return email, name


def _checked_string(payload: dict[str, Any], name: str, minimum: int, maximum: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise invalid_input("INPUT_REQUIRED", f"You must specify a value for {name}.")
    if len(value) < minimum:
        raise invalid_input("MIN_LENGTH_EXCEEDED", f"{name} must be at least {minimum} long.")
    if len(value) > maximum:
        raise invalid_input("MAX_LENGTH_EXCEEDED", f"{name} must be at most {maximum} long.")
    return value


def _create_in_moto(request: CreationRequest) -> str:
    backend = request.caller.backend()
    arguments: dict[str, Any] = {
        "AccountName": request.name,
        "Email": request.email,
        "Tags": request.tags,
    }
    if request.role_name:
        arguments["RoleName"] = request.role_name
    account_id: str = backend.create_account(**arguments)["CreateAccountStatus"]["AccountId"]
    account = backend.get_account_by_id(account_id)
    # Keep moto's own view (DescribeAccount's JoinedTimestamp) consistent with ours.
    account.create_account_status_id = request.id
    account.create_time = datetime.fromtimestamp(request.deadline, UTC).replace(tzinfo=None)
    return account_id
