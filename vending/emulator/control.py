"""The ``/_emulator/...`` control endpoints: settings, counters, the clock, accounts
outside any organization, and the invited account's answer to a handshake.

They are answered as JSON (``{"error": ...}`` with 400 for bad input, 404 for something
that does not exist, 409 when AWS would refuse the action), are never faulted, and are
documented in the README ("The local Organizations emulator").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .config import ConfigError
from .protocol import OrganizationsError, json_response, read_body

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONTROL_PREFIX = "/_emulator"
_CONTENT_TYPE = "application/json"

# A handler takes the request body (a JSON object) and the path's named parts.
Handler = Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]


class ControlRoutes:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = []

    def add(self, path: str, **methods: Handler) -> None:
        """``path`` may hold ``{name}`` parts, e.g. ``/handshakes/{id}/accept``."""
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self._routes.append((re.compile(pattern), methods))

    def serve(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        for pattern, methods in self._routes:
            match = pattern.fullmatch(path.rstrip("/"))
            if match is None:
                continue
            handler = methods.get(environ.get("REQUEST_METHOD", "GET"))
            if handler is None:
                return answer(start_response, 405, {"error": f"use {sorted(methods)}"})
            return _run(handler, environ, match.groupdict(), start_response)
        return answer(start_response, 404, {"error": f"no control endpoint {path}"})


def _run(
    handler: Handler,
    environ: WSGIEnvironment,
    parts: dict[str, str],
    start_response: StartResponse,
) -> Iterable[bytes]:
    try:
        return answer(start_response, 200, handler(json_object(environ), parts))
    except (ConfigError, ValueError) as error:
        return answer(start_response, 400, {"error": str(error)})
    except LookupError as error:
        return answer(start_response, 404, {"error": str(error).strip("'\"")})
    except OrganizationsError as error:
        refusal = {"error": error.message, "code": error.code}
        if error.reason:
            refusal["reason"] = error.reason
        return answer(start_response, 409, refusal)


def answer(start_response: StartResponse, status: int, payload: dict[str, Any]) -> Iterable[bytes]:
    return json_response(start_response, status, payload, content_type=_CONTENT_TYPE)


def json_object(environ: WSGIEnvironment) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is an empty object)."""
    value = json.loads(read_body(environ) or b"{}")
    if not isinstance(value, dict):
        raise ValueError("the request body must be a JSON object")
    return value


def no_fields(body: dict[str, Any]) -> None:
    if body:
        raise ValueError(f"this endpoint takes no fields; got {sorted(body)}")
