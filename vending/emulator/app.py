"""The emulator's WSGI application: moto's server with the Organizations gaps filled.

Requests flow as follows:

* ``/_emulator/...`` control endpoints are answered here and never faulted;
* Organizations calls (``X-Amz-Target: AWSOrganizationsV20161128.*``) may be faulted,
  then go through the rules in :mod:`.rules`, :mod:`.accounts` and :mod:`.listing`,
  which either answer themselves or let moto answer;
* everything else (STS, IAM, ...) goes to moto untouched.

One lock serializes Organizations calls with the state they read and write (ours and
moto's), so a rule check and the change it guards are atomic, as they are in AWS.
moto's state is process-global: two apps in one process share it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.organizations.models import organizations_backends

from .accounts import AccountCreations
from .config import ConfigError, EmulatorConfig
from .faults import FaultInjector, LostResponse
from .listing import LISTINGS
from .protocol import (
    TARGET_PREFIX,
    Caller,
    OrganizationsError,
    error_response,
    json_response,
    read_body,
)
from .rules import RULES
from .seeding import seed_accounts

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CONTROL_PREFIX = "/_emulator"
_CONTROL_CONTENT_TYPE = "application/json"
_CREATION_OPERATIONS = ("CreateAccount", "DescribeCreateAccountStatus", "ListCreateAccountStatus")
_LISTINGS = tuple(LISTINGS)


class EmulatorApp:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._lock = threading.RLock()
        self._config = config or EmulatorConfig()
        self._moto: WSGIApplication = DomainDispatcherApplication(create_backend_app)
        self._creations = AccountCreations()
        self._faults = FaultInjector(self._config.seed)
        self._calls: Counter[str] = Counter()
        self._faulted: Counter[str] = Counter()
        self._max_in_progress = 0
        self._control_routes: dict[str, dict[str, Callable[[WSGIEnvironment], Any]]] = {
            "/health": {"GET": lambda _: {"ok": True}},
            "/config": {
                "GET": lambda _: self.config.to_dict(),
                "POST": lambda environ: self.update_config(_json_object(environ)).to_dict(),
            },
            "/reset": {"POST": self._reset_endpoint},
            "/stats": {"GET": lambda _: self.stats()},
            "/stats/reset": {"POST": self._reset_stats_endpoint},
            "/seed-accounts": {"POST": self._seed_accounts_endpoint},
        }

    @property
    def config(self) -> EmulatorConfig:
        with self._lock:
            return self._config

    def update_config(self, patch: dict[str, Any]) -> EmulatorConfig:
        with self._lock:
            self._config = self._config.with_patch(patch)
            if "seed" in patch:
                # Setting a seed restarts the fault stream, so a run is reproducible from
                # the moment the seed is set.
                self._faults.reseed(self._config.seed)
            return self._config

    def reset(self) -> None:
        """Forget every organization, account, creation request and counter."""
        with self._lock:
            moto_api_backend.reset()
            # moto's reset leaves this member -> management account map behind.
            organizations_backends.master_accounts.clear()
            self._creations.clear()
            self._faults.reseed(self._config.seed)
            self._calls.clear()
            self._faulted.clear()
            self._max_in_progress = 0

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self._creations.complete_due(time.time())
            return {
                # Every Organizations call answered, faulted or not; "faults" is the
                # faulted subset.
                "calls": dict(self._calls),
                "faults": dict(self._faulted),
                "in_progress_creations": self._creations.in_progress(),
                "max_in_progress_creations": self._max_in_progress,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._calls.clear()
            self._faulted.clear()
            self._max_in_progress = self._creations.in_progress()

    def seed_accounts(self, count: int) -> dict[str, Any]:
        """Add ``count`` existing accounts to the default caller's organization (see
        :mod:`.seeding`); the organization is created first if there is none."""
        with self._lock:
            return seed_accounts(Caller.from_environ({}), count)

    def _seed_accounts_endpoint(self, environ: WSGIEnvironment) -> dict[str, Any]:
        body = _json_object(environ)
        unknown = sorted(set(body) - {"count"})
        if unknown:
            raise ValueError(f'unknown fields: {unknown}; send {{"count": N}}')
        if "count" not in body:
            raise ValueError('count is required: send {"count": N}')
        return self.seed_accounts(body["count"])

    def _reset_endpoint(self, environ: WSGIEnvironment) -> dict[str, Any]:
        self.reset()
        return {"ok": True}

    def _reset_stats_endpoint(self, environ: WSGIEnvironment) -> dict[str, Any]:
        self.reset_stats()
        return self.stats()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX + "/"):
            return self._control(environ, start_response, path.removeprefix(CONTROL_PREFIX))
        # Creations finish lazily: any request after the deadline completes them, before
        # it is served, so nobody can observe a creation past its deadline.
        with self._lock:
            self._creations.complete_due(time.time())
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(TARGET_PREFIX):
            return self._moto(environ, start_response)
        return self._organizations(environ, start_response, target.removeprefix(TARGET_PREFIX))

    def _organizations(
        self, environ: WSGIEnvironment, start_response: StartResponse, operation: str
    ) -> Iterable[bytes]:
        try:
            payload = _json_object(environ)
        except ValueError:
            # moto treats an unreadable body as no parameters; do the same.
            payload = {}
        caller = Caller.from_environ(environ)
        with self._lock:
            self._calls[operation] += 1
            fault = self._faults.draw(operation, self._config)
            if fault is not None:
                self._faulted[operation] += 1
                if isinstance(fault, LostResponse):
                    # Carry the call out, then lose its answer.
                    self._serve(environ, _discard, operation, caller, payload)
                return error_response(start_response, fault)
            return self._serve(environ, start_response, operation, caller, payload)

    def _serve(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        operation: str,
        caller: Caller,
        payload: dict[str, Any],
    ) -> Iterable[bytes]:
        try:
            answer = self._answer(operation, caller, payload)
        except OrganizationsError as error:
            return error_response(start_response, error)
        if answer is not None:
            return json_response(start_response, 200, answer)
        # moto runs inside the lock too: the check above and moto's change are one step.
        return _buffered(self._moto, environ, start_response)

    def _answer(
        self, operation: str, caller: Caller, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Our answer for ``operation``, or ``None`` when moto should answer."""
        if operation not in RULES and operation not in _CREATION_OPERATIONS + _LISTINGS:
            return None
        backend = caller.backend()
        if backend.org is None:
            raise OrganizationsError(
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            )
        if operation == "CreateAccount":
            answer = self._creations.create(caller, payload, self._config, time.time())
            self._max_in_progress = max(self._max_in_progress, self._creations.in_progress())
            return answer
        if operation == "DescribeCreateAccountStatus":
            return self._creations.describe(caller, payload)
        if operation == "ListCreateAccountStatus":
            return self._creations.list(caller, payload)
        if operation in LISTINGS:
            return LISTINGS[operation](backend, payload, self._config)
        return RULES[operation](backend, payload, self._config)

    def _control(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        methods = self._control_routes.get(path.rstrip("/"))
        if methods is None:
            return _control_answer(start_response, 404, {"error": f"no control endpoint {path}"})
        handler = methods.get(environ.get("REQUEST_METHOD", "GET"))
        if handler is None:
            return _control_answer(start_response, 405, {"error": f"use {sorted(methods)}"})
        try:
            return _control_answer(start_response, 200, handler(environ))
        except (ConfigError, ValueError) as error:
            return _control_answer(start_response, 400, {"error": str(error)})


def _control_answer(
    start_response: StartResponse, status: int, payload: dict[str, Any]
) -> Iterable[bytes]:
    return json_response(start_response, status, payload, content_type=_CONTROL_CONTENT_TYPE)


def _json_object(environ: WSGIEnvironment) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is an empty object)."""
    value = json.loads(read_body(environ) or b"{}")
    if not isinstance(value, dict):
        raise ValueError("the request body must be a JSON object")
    return value


def _discard(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], object]:
    """A start_response for an answer nobody will receive (a lost response)."""
    return lambda chunk: None


def _buffered(
    app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes]:
    """Run ``app`` to completion now, so all of its work happens under our lock."""
    captured: list[tuple[str, list[tuple[str, str]]]] = []
    chunks: list[bytes] = []

    def capture(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        captured.append((status, headers))
        return chunks.append

    result = app(environ, capture)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = captured[-1]
    start_response(status, headers)
    return [b"".join(chunks)]
