"""Domain errors. The web UI and the REST API both turn them into a clear message."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the portal explains to a person."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(DomainError):
    """The input is wrong; `field_errors` names each offending field."""


class InvalidTransition(DomainError):
    """The object is not (or no longer) in a state that allows this."""


class PermissionDenied(DomainError):
    """This person may not do this."""


class DuplicateRequest(DomainError):
    """What was asked for exists already or is being created."""


class QuotaExceeded(DomainError):
    """A limit of AWS or of the portal would be exceeded."""
