"""AWS errors mapped to what the caller should do about them.

`TransientAwsError`: try again later (throttling, concurrent modification, 5xx,
network). `PermanentAwsError`: retrying will not help; the message says what to fix.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ConcurrentModificationException",
        "ServiceException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "FinalizingOrganizationException",
        "PolicyChangesInProgressException",
    }
)


class AwsError(Exception):
    """An AWS call failed. `code` is AWS's error code, `operation` the API operation."""

    def __init__(self, message: str, *, code: str = "", operation: str = "", reason: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.operation = operation
        # ConstraintViolationException carries a machine-readable Reason.
        self.reason = reason

    def __str__(self) -> str:
        label = f"{self.operation}: " if self.operation else ""
        code = f"{self.code}: " if self.code else ""
        return f"{label}{code}{self.message}"


class TransientAwsError(AwsError):
    """Worth retrying with backoff."""


class PermanentAwsError(AwsError):
    """Retrying does not help; a person has to act."""


def map_client_error(exc: ClientError, operation: str) -> AwsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or str(exc)
    reason = str(exc.response.get("Reason", "") or error.get("Reason", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    kind = TransientAwsError if code in TRANSIENT_CODES or status >= 500 else PermanentAwsError
    return kind(message, code=code, operation=operation, reason=reason)


def map_botocore_error(exc: BotoCoreError, operation: str) -> AwsError:
    if isinstance(exc, ConnectionError | ReadTimeoutError):
        return TransientAwsError(str(exc), code=type(exc).__name__, operation=operation)
    return PermanentAwsError(str(exc), code=type(exc).__name__, operation=operation)
