"""Domain errors. The web UI and the REST API both turn them into a clear message.

Each kind carries its API error code and HTTP status: the one table both the web pages
and `vending/api/errors.py` read, so a refusal answers the same status everywhere.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the portal explains to a person."""

    code = "invalid_input"
    http_status = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(DomainError):
    """The input is wrong; `field_errors` names each offending field."""

    code = "invalid_input"
    http_status = 400


class PermissionDenied(DomainError):
    """This person may not do this."""

    code = "permission_denied"
    http_status = 403


class InvalidTransition(DomainError):
    """The object is not (or no longer) in a state that allows this."""

    code = "invalid_transition"
    http_status = 409


class DuplicateRequest(DomainError):
    """What was asked for exists already or is being created."""

    code = "duplicate_request"
    http_status = 409


# Every kind, for the API's published list of error codes.
DOMAIN_ERRORS: tuple[type[DomainError], ...] = (
    InvalidInput,
    PermissionDenied,
    InvalidTransition,
    DuplicateRequest,
)
