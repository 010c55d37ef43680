"""The AWS JSON 1.1 protocol as Organizations speaks it, and moto's view of the caller.

Requests are ``POST /`` with ``X-Amz-Target: AWSOrganizationsV20161128.<Operation>`` and
a JSON body; errors are ``{"__type": code, "message": text}`` (plus modeled members such
as ``Reason``), which botocore turns into ``ClientError`` with that code.
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from
from moto.organizations.models import OrganizationsBackend, organizations_backends
from moto.utilities.utils import get_partition
from werkzeug.wsgi import get_input_stream

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

TARGET_PREFIX = "AWSOrganizationsV20161128."
CONTENT_TYPE = "application/x-amz-json-1.1"

# Same pattern moto's BaseResponse uses to find the access key in a SigV4 header, so
# both agree on which account (and thus which moto backend) a request belongs to.
_ACCESS_KEY = re.compile(r"AWS.*(?P<access_key>(?<![A-Z0-9])[A-Z0-9]{20}(?![A-Z0-9]))[:/]")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/(?P<region>[^/]+)/")
# The e-mail rules listed for CreateAccount's Email parameter in the API reference: one
# "@"; the local part has none of whitespace " ' ( ) < > [ ] : ; , \ | % & and does not
# start with a dot; the domain is letters, digits, "-" and "." and neither starts nor
# ends with "-" or ".". (The "at least one dot" rule is checked separately.)
EMAIL_PATTERN = re.compile(
    r"""[^\s"'()<>\[\]:;,\\|%&@.][^\s"'()<>\[\]:;,\\|%&@]*"""
    r"@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
)
# CreateAccountName: 1-50 printable ASCII characters.
ACCOUNT_NAME_PATTERN = re.compile(r"[\x20-\x7e]+")


class OrganizationsError(Exception):
    """An error answered to the client exactly as AWS Organizations would answer it."""

    def __init__(
        self, code: str, message: str, *, reason: str | None = None, status: int = 400
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.status = status

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"__type": self.code, "message": self.message}
        if self.reason is not None:
            body["Reason"] = self.reason
        return body


def constraint_violation(reason: str, message: str) -> OrganizationsError:
    return OrganizationsError("ConstraintViolationException", message, reason=reason)


def invalid_input(reason: str, message: str) -> OrganizationsError:
    return OrganizationsError("InvalidInputException", message, reason=reason)


@dataclass(frozen=True)
class Caller:
    """Which moto backend a request addresses: the caller's account and partition."""

    account_id: str
    partition: str

    @classmethod
    def from_environ(cls, environ: WSGIEnvironment) -> Caller:
        # Mirrors moto.core.responses.BaseResponse.get_current_account, in its order.
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        scope = _CREDENTIAL_SCOPE.search(authorization)
        partition = get_partition(scope.group("region") if scope else "us-east-1")
        if "MOTO_ACCOUNT_ID" in os.environ:
            return cls(os.environ["MOTO_ACCOUNT_ID"], partition)
        if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
            return cls(environ["HTTP_X_MOTO_ACCOUNT_ID"], partition)
        key = _ACCESS_KEY.search(authorization)
        account_id = get_account_id_from(key.group(1)) if key else DEFAULT_ACCOUNT_ID
        return cls(account_id, partition)

    @staticmethod
    def region_from_environ(environ: WSGIEnvironment) -> str:
        """The region the request was signed for (moto keeps regional services per region)."""
        scope = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        return scope.group("region") if scope else "us-east-1"

    def backend(self) -> OrganizationsBackend:
        """moto's in-process Organizations state for this caller (created on first use)."""
        return organizations_backends[self.account_id][self.partition]


def read_body(environ: WSGIEnvironment) -> bytes:
    """Read the request body and put it back, so moto can still read it after us."""
    body = get_input_stream(environ).read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def json_response(
    start_response: StartResponse,
    status: int,
    payload: dict[str, Any],
    content_type: str = CONTENT_TYPE,
) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [body]


def error_response(start_response: StartResponse, error: OrganizationsError) -> Iterable[bytes]:
    return json_response(start_response, error.status, error.body())
