"""AWS errors mapped to what the caller should do about them.

`TransientAwsError`: try again later (throttling, concurrent modification, 5xx,
network). `PermanentAwsError`: retrying will not help; the message says what to fix.

`may_have_acted` tells a non-idempotent call (CreateAccount) whether AWS may have done
the work although the caller got an error: a 5xx answer, a timeout or a connection lost
after the request was sent. A 4xx answer (throttling and refusals included) or a
connection that never opened proves that nothing was done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
)

from vending.aws.explanations import explain

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

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        operation: str = "",
        reason: str = "",
        may_have_acted: bool = False,
        aws_message: str = "",
    ):
        super().__init__(message)
        self.message = message
        # AWS's own text when `message` says it in other words (vending.aws.explanations).
        self.aws_message = aws_message or message
        self.code = code
        self.operation = operation
        # ConstraintViolationException carries a machine-readable Reason.
        self.reason = reason
        # True when AWS may have carried out the call despite the error (see above).
        self.may_have_acted = may_have_acted

    def __str__(self) -> str:
        label = f"{self.operation}: " if self.operation else ""
        code = f"{self.code}: " if self.code else ""
        return f"{label}{code}{self.message}"


class TransientAwsError(AwsError):
    """Worth retrying with backoff."""


class PermanentAwsError(AwsError):
    """Retrying does not help; a person has to act."""


def api_name(operation: str) -> str:
    """AWS's name of a boto3 method: `create_account` -> `CreateAccount`."""
    return "".join(part.capitalize() for part in operation.split("_"))


@contextmanager
def mapped_errors(operation: str, *, transient: frozenset[str] = frozenset()) -> Iterator[None]:
    """botocore's exceptions leave the block as `TransientAwsError` or `PermanentAwsError`;
    `transient` adds the codes a service means as "try again" (Identity Center's
    ConflictException) to the common ones."""
    try:
        yield
    except ClientError as exc:
        raise map_client_error(exc, operation, transient=transient) from exc
    except BotoCoreError as exc:
        raise map_botocore_error(exc, operation) from exc


def map_client_error(
    exc: ClientError, operation: str, *, transient: frozenset[str] = frozenset()
) -> AwsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "")) or str(exc)
    reason = str(exc.response.get("Reason", "") or error.get("Reason", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    retry = code in TRANSIENT_CODES or code in transient or status >= 500
    kind = TransientAwsError if retry else PermanentAwsError
    return kind(
        explain(code, reason) or message,
        code=code,
        operation=operation,
        reason=reason,
        may_have_acted=status >= 500,
        aws_message=message,
    )


def map_botocore_error(exc: BotoCoreError, operation: str) -> AwsError:
    code = type(exc).__name__
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        # The connection never opened: the request did not reach AWS.
        return TransientAwsError(str(exc), code=code, operation=operation)
    if isinstance(exc, ConnectionError | HTTPClientError):
        # Read timeouts, connections closed or broken mid-request: AWS may have acted.
        return TransientAwsError(str(exc), code=code, operation=operation, may_have_acted=True)
    return PermanentAwsError(str(exc), code=code, operation=operation)
