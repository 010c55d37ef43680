"""One error shape for every API answer that is not a success.

    {"error": {"code": "invalid_input", "message": "...", "fields": {"team": ["..."]}}}

DRF's own exceptions keep their statuses; the portal's domain errors are mapped here,
once, so no view decides a status code:

| error               | status | why                                                    |
| ------------------- | ------ | ------------------------------------------------------ |
| InvalidInput        | 400    | the input is wrong; `fields` names each culprit        |
| PermissionDenied    | 403    | signed in, but this person may not do this             |
| InvalidTransition   | 409    | the object's current state does not allow it           |
| DuplicateRequest    | 409    | it exists already (request, team, approval)            |
| TransientAwsError   | 503    | AWS did not answer; try again (Retry-After)            |
| PermanentAwsError   | 502    | AWS refused; the message says why                      |
| database/broker down| 503    | `service_unavailable`; try again (Retry-After)         |

The domain errors' codes and statuses are declared once, on the classes in
`vending/errors.py`, which the web pages read too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from vending.aws import PermanentAwsError, TransientAwsError
from vending.errors import DOMAIN_ERRORS, DomainError
from vending.health import RETRY_AFTER_SECONDS, unavailable_dependency

logger = logging.getLogger(__name__)

# Every `code` the API can answer, with its status; the schema publishes this list.
ERROR_CODES: dict[str, int] = {
    **{kind.code: kind.http_status for kind in DOMAIN_ERRORS},
    "parse_error": 400,
    "not_authenticated": 401,
    "authentication_failed": 401,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "request_too_large": 413,
    "unsupported_media_type": 415,
    "idempotency_key_reused": 422,
    "throttled": 429,
    "server_error": 500,
    "aws_error": 502,
    "aws_unavailable": 503,
    "service_unavailable": 503,
}

ERROR_CODE_VALUES = sorted(ERROR_CODES)

_DRF_CODES: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "invalid_input"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
)

AWS_RETRY_AFTER_SECONDS = 5


class ApiError(exceptions.APIException):
    """An API-level refusal with its own code (idempotency key reuse, ...)."""

    def __init__(self, message: str, *, code: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status_code = ERROR_CODES[code]
        self.error_code = code
        self.fields = fields or {}


def error_body(
    code: str, message: str, fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": dict(fields or {})}}


def error_response(
    code: str,
    message: str,
    fields: Mapping[str, list[str]] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(error_body(code, message, fields), status=ERROR_CODES[code], headers=headers)


def flatten_field_errors(detail: Any) -> tuple[dict[str, list[str]], list[str]]:
    """DRF's nested error detail as ({top-level field: [messages]}, [non-field messages]).

    A nested error keeps its place in the message ("item 1: not a valid choice"), so a list
    item or a nested key is still named.
    """
    if not isinstance(detail, Mapping):
        return {}, _messages(detail)
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for name, value in detail.items():
        if name in ("non_field_errors", "detail"):
            general += _messages(value)
        else:
            fields[str(name)] = _messages(value)
    return fields, general


def _messages(value: Any, where: str = "") -> list[str]:
    prefix = f"{where}: " if where else ""
    if isinstance(value, Mapping):
        out: list[str] = []
        for key, inner in value.items():
            name = f"item {key}" if isinstance(key, int) else str(key)
            out += _messages(inner, f"{where}, {name}" if where else name)
        return out
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item, where)]
    return [f"{prefix}{value}"]


def _from_validation(exc: exceptions.ValidationError) -> Response:
    fields, general = flatten_field_errors(exc.detail)
    if general:
        message = " ".join(general)
    elif len(fields) == 1:
        name, msgs = next(iter(fields.items()))
        message = f"{name}: {msgs[0]}" if msgs else "The input is not valid."
    else:
        message = "The input is not valid: " + ", ".join(sorted(fields)) + "."
    return error_response("invalid_input", message, fields)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every failure in the error envelope, never an HTML page."""
    if isinstance(exc, DomainError):
        set_rollback()
        return error_response(exc.code, exc.message, exc.field_errors)
    if isinstance(exc, TransientAwsError):
        logger.warning("AWS unavailable while serving the API: %s", exc)
        return error_response(
            "aws_unavailable",
            "AWS Organizations did not answer; try again in a few seconds.",
            headers={"Retry-After": str(AWS_RETRY_AFTER_SECONDS)},
        )
    if (dependency := unavailable_dependency(exc)) is not None:
        logger.warning("The %s is unavailable while serving the API: %s", dependency, exc)
        set_rollback()
        return error_response(
            "service_unavailable",
            f"The portal's {dependency} cannot be reached right now; nothing was changed. "
            f"Try again in {RETRY_AFTER_SECONDS} seconds.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, PermanentAwsError):
        logger.warning("AWS refused a call of the API: %s", exc)
        return error_response("aws_error", f"AWS Organizations refused: {exc.message}")
    if isinstance(exc, RequestDataTooBig):
        return error_response(
            "request_too_large", "The request body is larger than this API accepts."
        )
    if isinstance(exc, SuspiciousOperation):
        return error_response("parse_error", "The request could not be read.")
    if isinstance(exc, ApiError):
        return error_response(exc.error_code, str(exc.detail), exc.fields)
    if isinstance(exc, exceptions.ValidationError):
        return _from_validation(exc)
    if isinstance(exc, Http404 | DjangoPermissionDenied | exceptions.APIException):
        response = exception_handler(exc, context)
        if response is not None:
            return _reshape(exc, response)
    logger.exception("Unhandled error in the API", exc_info=exc)
    set_rollback()
    return error_response("server_error", "Something went wrong on our side; it has been logged.")


def _reshape(exc: Exception, response: Response) -> Response:
    if isinstance(exc, Http404):
        code = "not_found"
    elif isinstance(exc, DjangoPermissionDenied):
        code = "permission_denied"
    else:
        code = next((c for kind, c in _DRF_CODES if isinstance(exc, kind)), "")
    if ERROR_CODES.get(code) != response.status_code:
        # An APIException subclass we do not know: keep its status, name it by status.
        code = next((c for c, s in ERROR_CODES.items() if s == response.status_code), "")
    if not code:
        code = "invalid_input" if response.status_code < 500 else "server_error"
        response.status_code = ERROR_CODES[code]
    data = response.data
    message = str(data.get("detail", "")) if isinstance(data, Mapping) else ""
    response.data = error_body(code, message or "The request failed.")
    return response
