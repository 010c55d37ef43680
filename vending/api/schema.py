"""What drf-spectacular cannot infer: the error envelope on every operation, headers,
and closed request bodies (unknown fields are refused, so the schema says so)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from vending.api.idempotency import HEADER, KEY_DESCRIPTION
from vending.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The input is not valid: `error.fields` names each culprit, unknown fields included.",
    401: "No valid credentials: send `Authorization: Token <secret>` or sign in.",
    403: "Signed in, but not allowed to do this.",
    404: "No such resource, or none you may see.",
    405: "This method is not allowed here.",
    406: "The API answers JSON only.",
    409: "The current state does not allow it (invalid transition, duplicate, quota).",
    413: "The body is larger than the API accepts.",
    415: "The body must be JSON (`Content-Type: application/json`).",
    422: f"The {HEADER} was already used with a different body.",
    429: "Too many requests with this token (or without valid credentials from this "
    "address); wait `Retry-After` seconds.",
    502: "AWS Organizations refused the call; the message says why.",
    503: "AWS Organizations did not answer; retry after `Retry-After` seconds.",
}
# Every operation can answer these (authentication, content negotiation, throttling).
COMMON_ERRORS = (401, 405, 406, 429)
# And every operation with a body these.
BODY_ERRORS = (400, 413, 415)

ERROR_REF = {"$ref": "#/components/schemas/Error"}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <secret>`: the portal's hashed, expiring API tokens."""

    target_class = "vending.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <secret>`: an API token from the portal's API tokens "
            "page or `manage.py create_api_token`. Tokens expire and can be revoked.",
        }


_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": "`Token`: the scheme to authenticate with.",
        }
    },
    429: {
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
    },
    503: {
        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
    },
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for the errors an operation itself can answer."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


def location_header(*statuses: int) -> OpenApiParameter:
    return OpenApiParameter(
        "Location",
        str,
        OpenApiParameter.HEADER,
        description="The request's URL, to poll its progress.",
        response=list(statuses),
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER, description=KEY_DESCRIPTION, pattern=r"^[!-~]{1,255}$"
)
REPLAYED_HEADER = OpenApiParameter(
    "Idempotent-Replayed",
    str,
    OpenApiParameter.HEADER,
    enum=["true"],
    description=f"Present when the answer is the stored one of an earlier {HEADER}.",
    response=[201],
)


REQUEST_EXAMPLE = OpenApiExample(
    "HIPAA + PCI, dev and prod",
    value={
        "team": "checkout",
        "compliance_class": "hipaa_pci",
        "environments": ["dev", "prod"],
        "justification": "Claims service",
    },
    request_only=True,
)
PREVIEW_EXAMPLE = OpenApiExample(
    "HIPAA prod",
    value={"team": "checkout", "compliance_class": "hipaa", "environments": ["prod"]},
    request_only=True,
)
TEAM_EXAMPLE = OpenApiExample(
    "A team with one lead",
    value={"slug": "search", "name": "Search", "leads": ["lead"], "idp_group": "aws-search"},
    request_only=True,
)
REJECT_EXAMPLE = OpenApiExample(
    "Rejection", value={"reason": "Use the shared sandbox account."}, request_only=True
)


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def _close_object(schema: dict[str, Any], components: dict[str, Any]) -> None:
    ref = schema.get("$ref", "")
    target = components.get(ref.rsplit("/", 1)[-1]) if ref else schema
    if isinstance(target, dict) and target.get("type") == "object":
        target["additionalProperties"] = False


def postprocess_api_contract(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS hook: run after the schema is built."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            has_body = "requestBody" in operation
            for status in COMMON_ERRORS + (BODY_ERRORS if has_body else ()):
                responses.setdefault(str(status), _error_response(status))
            for status, headers in _HEADERS.items():
                if str(status) in responses:
                    responses[str(status)].setdefault("headers", {}).update(headers)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _close_object(media.get("schema", {}), components)
    return result
