"""CreateAccount failure reasons in words a person can act on.

The codes are AWS's `CreateAccountStatus.FailureReason` values (API reference).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils import timezone

from vending.aws import AwsError, TransientAwsError

# AWS documents these as worth another CreateAccount: the portal retries them itself.
RETRYABLE_CREATE_FAILURES = frozenset({"INTERNAL_FAILURE", "CONCURRENT_ACCOUNT_MODIFICATION"})

_BUSINESS_VALIDATION = (
    "AWS has not validated the management account's business information ({code}). "
    "Complete or correct it in the Billing console of the management account, then retry."
)
_PAYMENT = (
    "The management account has no valid payment method ({code}). Add one in its "
    "Billing console, then retry."
)

_MESSAGES: dict[str, str] = {
    "EMAIL_ALREADY_EXISTS": (
        "The root e-mail {email} already belongs to another AWS account. Choose another "
        "e-mail (a different team slug or e-mail template), then retry."
    ),
    "ACCOUNT_LIMIT_EXCEEDED": (
        "The organization has reached its quota of accounts. Ask AWS Support to raise "
        "it (Service Quotas, AWS Organizations), or close unused accounts, then retry."
    ),
    "INVALID_EMAIL": (
        "AWS rejected the root e-mail {email} as invalid. Fix the e-mail template, then retry."
    ),
    "INVALID_ADDRESS": (
        "AWS rejected the management account's contact address. Correct it in the "
        "management account's settings, then retry."
    ),
    "CONCURRENT_ACCOUNT_MODIFICATION": (
        "AWS was changing the organization at the same time and gave up after "
        "{attempts} attempts. Retry the account."
    ),
    "INTERNAL_FAILURE": (
        "AWS failed internally after {attempts} attempts. Retry later; if it persists, "
        "open a case with AWS Support."
    ),
    "GOVCLOUD_ACCOUNT_ALREADY_EXISTS": (
        "An AWS GovCloud account already exists for {email}. Choose another e-mail, then retry."
    ),
    "MISSING_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "FAILED_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "PENDING_BUSINESS_VALIDATION": (
        "AWS is still validating the management account's business information. "
        "Wait for it to finish (it can take a day), then retry."
    ),
    "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "UNKNOWN_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "MISSING_PAYMENT_INSTRUMENT": _PAYMENT,
    "INVALID_PAYMENT_INSTRUMENT": _PAYMENT,
    "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED": (
        "AWS could not apply the account's tags together with its resource policy. "
        "Retry; if it persists, remove the tags from the e-mail's existing policy."
    ),
    "CREATE_TIMEOUT": (
        "AWS reported the creation as in progress for longer than {timeout} minutes. "
        "Check the request {request_id} in the AWS console, then retry."
    ),
    "OU_NOT_FOUND": (
        "The organizational unit '{ou_path}' does not exist in the organization. An admin "
        "must create it (apply the org blueprint), then retry."
    ),
}


def failure_message(code: str, **context: object) -> str:
    template = _MESSAGES.get(
        code, "AWS could not complete the account ({code}). Retry, or ask a platform admin."
    )
    values = {"code": code, **context}
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


class AccountStepFailed(Exception):
    """A provisioning step found that the account cannot be vended without a person:
    `code` is kept as the account's failure code, `reason` shown to people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


_THROTTLED = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
_UNREACHABLE = frozenset(
    {"EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ReadTimeoutError"}
)
_TRIES_AGAIN = "The portal tries again with backoff."


def aws_error_words(exc: AwsError) -> str:
    """A transient AWS error in words: what happened and that it is tried again."""
    what = exc.operation or "the call"
    if exc.code in _THROTTLED:
        return f"AWS throttled {what} ({exc.code}): too many calls at once. {_TRIES_AGAIN}"
    if exc.code == "ConcurrentModificationException":
        return f"AWS was changing the organization while {what} ran. {_TRIES_AGAIN}"
    if exc.code in _UNREACHABLE:
        return f"AWS Organizations could not be reached for {what} ({exc.message}). {_TRIES_AGAIN}"
    return f"AWS failed to answer {what} ({exc.code or 'no code'}: {exc.message}). {_TRIES_AGAIN}"


def account_error_fields(*, code: str, message: str, transient: bool | None) -> dict[str, Any]:
    """The account's columns an error sets: written by the UPDATE that records it (the
    failure's own transition, or the one that releases the task's lease), so recording
    an error costs no query of its own."""
    return {
        "attempts": F("attempts") + 1,
        "last_error_code": code[:64],
        "last_error_message": message,
        "last_error_transient": transient,
        "last_error_at": timezone.now(),
    }


def account_error_fields_of(exc: BaseException) -> dict[str, Any]:
    """`account_error_fields` for an exception a provisioning task gives up on for now."""
    if isinstance(exc, AwsError):
        transient = isinstance(exc, TransientAwsError)
        message = aws_error_words(exc) if transient else str(exc)
        return account_error_fields(
            code=exc.code or type(exc).__name__, message=message, transient=transient
        )
    return account_error_fields(
        code=type(exc).__name__,
        message=f"Unexpected error: {exc}"[:2000] + " The sweeper tries again.",
        transient=None,
    )
