"""The emulator's WSGI application: moto's server with the Organizations gaps filled.

Requests flow as follows:

* ``/_emulator/...`` control endpoints are answered here (:mod:`.control`) and never
  faulted;
* Organizations calls (``X-Amz-Target: AWSOrganizationsV20161128.*``) may be faulted,
  then go through :mod:`.operations`, which either answers or lets moto answer;
* Cost Explorer's GetCostAndUsage by linked account is answered from made-up figures
  when ``monthly_cost_usd`` is set (:mod:`.costs`), else by moto;
* IAM Identity Center (sso-admin, identitystore) is moto's, but for the account
  assignments, asynchronous as in AWS (:mod:`.identity_center`); its changes are saved
  with the state file;
* everything else (STS, IAM, moto's own ``/moto-api``) goes to moto; its
  ``/moto-api/reset`` also clears the emulator's own state.

One lock serializes Organizations calls with the state they read and write (ours and
moto's), so a rule check and the change it guards are atomic, as they are in AWS.
moto's state is process-global: two apps in one process share it. With a state file,
every change is written before its answer leaves (:mod:`.snapshot`).
"""

from __future__ import annotations

import pickle
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.organizations.models import organizations_backends

from . import budgets, costs, snapshot
from .clock import advance_seconds
from .config import EmulatorConfig
from .control import CONTROL_PREFIX, ControlRoutes, json_object
from .control_routes import add_routes
from .faults import FaultInjector, LostResponse
from .identity_center import ANSWERED as ASSIGNMENT_CALLS
from .identity_center import TARGET_PREFIX as SSO_ADMIN_PREFIX
from .operations import Call, answer, changes_state
from .protocol import TARGET_PREFIX, Caller, OrganizationsError, error_response, json_response
from .seeding import seed_accounts
from .state import EmulatorState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["CONTROL_PREFIX", "EmulatorApp"]
budgets.install()  # what moto's Budgets lacks (UpdateBudget)
_MOTO_RESET = "/moto-api/reset"
IDENTITY_CENTER_PREFIXES = (SSO_ADMIN_PREFIX, "AWSIdentityStore.")


class EmulatorApp:
    def __init__(
        self, config: EmulatorConfig | None = None, state_file: Path | None = None
    ) -> None:
        self._lock = threading.RLock()
        self._config = config or EmulatorConfig()
        self._moto: WSGIApplication = DomainDispatcherApplication(create_backend_app)
        self._state_file = state_file
        loaded = snapshot.load(state_file) if state_file else None
        # True when the state came from the state file (a restart, not a first start).
        self.restored = loaded is not None
        self._state = loaded or EmulatorState()
        self._faults = FaultInjector(self._config.seed)
        self._calls: Counter[str] = Counter()
        self._identity_calls: Counter[str] = Counter()  # Identity Center's, apart
        self._faulted: Counter[str] = Counter()
        self._max_in_progress = 0
        self._control = ControlRoutes()
        add_routes(self, self._control)

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
        """Forget every organization, account, creation request, handshake and counter."""
        with self._lock:
            moto_api_backend.reset()
            self._forget_own_state()
            self.save()

    def _forget_own_state(self) -> None:
        # moto's reset leaves this member -> management account map behind.
        organizations_backends.master_accounts.clear()
        self._state = EmulatorState()
        self._faults.reseed(self._config.seed)
        self._calls.clear()
        self._identity_calls.clear()
        self._faulted.clear()
        self._max_in_progress = 0

    def save(self) -> None:
        """Write the state file now (when there is one)."""
        with self._lock:
            if self._state_file is not None:
                snapshot.save(self._state_file, self._state)

    def checkpoint(self) -> bytes:
        """Everything `rewind` needs to put the emulator back as it is now: moto's
        organizations, the emulator's own state, its counters and its fault stream.
        (A test suite applies an organization once and starts each test from it.)"""
        with self._lock:
            counters = (self._calls, self._identity_calls, self._faulted, self._max_in_progress)
            taken = (snapshot.capture(self._state), counters, self._faults.getstate())
            return pickle.dumps(taken, protocol=pickle.HIGHEST_PROTOCOL)

    def rewind(self, checkpoint: bytes) -> None:
        """Back to what `checkpoint` took (from this process: a pickle runs code)."""
        with self._lock:
            data, counters, faults = pickle.loads(checkpoint)  # noqa: S301 - our own bytes
            moto_api_backend.reset()
            self._state = snapshot.restore(data) or EmulatorState()
            self._calls, self._identity_calls, self._faulted, self._max_in_progress = counters
            self._faults.setstate(faults)
            self.save()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self._catch_up()
            return {
                # Every Organizations call answered, faulted or not; "faults" is the
                # faulted subset.
                "calls": dict(self._calls),
                # Identity Center's calls (SSO admin and the identity store), by operation.
                "identity_center_calls": dict(self._identity_calls),
                "faults": dict(self._faulted),
                "in_progress_creations": self._state.creations.in_progress(),
                "max_in_progress_creations": self._max_in_progress,
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._calls.clear()
            self._identity_calls.clear()
            self._faulted.clear()
            self._max_in_progress = self._state.creations.in_progress()

    def seed_accounts(self, count: int) -> dict[str, Any]:
        """Add ``count`` existing accounts to the default caller's organization (see
        :mod:`.seeding`); the organization is created first if there is none."""
        with self._lock:
            seeded = seed_accounts(Caller.from_environ({}), count)
            self.save()
            return seeded

    def advance_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._state.clock.advance(advance_seconds(body))
            self._catch_up()
            self.save()
            return self._state.clock.to_dict()

    def read(self, query: Callable[[EmulatorState], dict[str, Any]]) -> dict[str, Any]:
        """Answer a control endpoint's question under the lock, on caught-up state."""
        with self._lock:
            self._catch_up()
            return query(self._state)

    def change(self, action: Callable[[EmulatorState], dict[str, Any]]) -> dict[str, Any]:
        """Run a control endpoint's change under the lock, on caught-up state, and save."""
        with self._lock:
            self._catch_up()
            try:
                return action(self._state)
            finally:
                self.save()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX + "/"):
            return self._control.serve(environ, start_response, path.removeprefix(CONTROL_PREFIX))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            return self._organizations(environ, start_response, target.removeprefix(TARGET_PREFIX))
        if target == costs.TARGET_PREFIX + costs.OPERATION and self.config.monthly_cost_usd > 0:
            answered = self._costs(environ, start_response)
            if answered is not None:
                return answered
        if target.startswith(IDENTITY_CENTER_PREFIXES):
            return self._identity_center(environ, start_response, target.split(".", 1)[-1])
        kept = _kept_by_moto(target, path)
        if kept is not None:
            return self._moto_saved(environ, start_response, kept)
        if path.rstrip("/") == _MOTO_RESET and environ.get("REQUEST_METHOD") == "POST":
            with self._lock:
                result = _buffered(self._moto, environ, start_response)
                self._forget_own_state()
                self.save()
                return result
        return self._moto(environ, start_response)

    def _moto_saved(
        self, environ: WSGIEnvironment, start_response: StartResponse, operation: str
    ) -> Iterable[bytes]:
        """A call moto answers whose result the state file keeps (budgets, alternate
        contacts): under the lock, saved after a change like the emulator's own calls."""
        with self._lock:
            try:
                return _buffered(self._moto, environ, start_response)
            finally:
                if changes_state(operation):
                    self.save()

    def _costs(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes] | None:
        try:
            payload = json_object(environ)
        except ValueError:
            return None
        if not costs.answers(payload):
            return None
        with self._lock:
            try:
                answer = costs.cost_and_usage(
                    Caller.from_environ(environ),
                    payload,
                    monthly=self._config.monthly_cost_usd,
                    page_size=self._config.cost_page_size,
                    today=_utc_date(self._state.clock.now()),
                )
            except OrganizationsError as error:
                return error_response(start_response, error)
        return json_response(start_response, 200, answer)

    def _catch_up(self) -> None:
        # Creations, expiries and closures happen lazily: any request after a deadline
        # carries them out before it is served, so nobody observes one past its deadline.
        if self._state.catch_up():
            self.save()

    def _identity_center(
        self, environ: WSGIEnvironment, start_response: StartResponse, operation: str
    ) -> Iterable[bytes]:
        with self._lock:
            self._catch_up()
            self._identity_calls[operation] += 1
            try:
                if operation not in ASSIGNMENT_CALLS:
                    return _buffered(self._moto, environ, start_response)
                answer = self._state.assignments.answer(
                    operation,
                    Caller.from_environ(environ),
                    Caller.region_from_environ(environ),
                    json_object(environ),
                    self._config,
                    self._state.clock.now(),
                )
                return json_response(start_response, 200, answer)
            except (OrganizationsError, ValueError) as error:
                if isinstance(error, ValueError):
                    error = OrganizationsError("ValidationException", "The body is not JSON.")
                return error_response(start_response, error)
            finally:
                if changes_state(operation):
                    self.save()

    def _organizations(
        self, environ: WSGIEnvironment, start_response: StartResponse, operation: str
    ) -> Iterable[bytes]:
        try:
            payload = json_object(environ)
        except ValueError:
            # moto treats an unreadable body as no parameters; do the same.
            payload = {}
        caller = Caller.from_environ(environ)
        with self._lock:
            self._catch_up()
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
        call = Call(caller, payload, self._config, self._state, self._state.clock.now())
        try:
            try:
                ours = answer(operation, call)
            except OrganizationsError as error:
                return error_response(start_response, error)
            if operation == "CreateAccount":
                in_progress = self._state.creations.in_progress()
                self._max_in_progress = max(self._max_in_progress, in_progress)
            if ours is not None:
                return json_response(start_response, 200, ours)
            # moto runs inside the lock too: the check above and moto's change are one step.
            return _buffered(self._moto, environ, start_response)
        finally:
            if changes_state(operation):
                self.save()


# AWS Budgets (JSON, by target) and the Account API's alternate contacts (REST, by path):
# answered by moto, kept in the state file (snapshot.py).
_BUDGETS_PREFIX = "AWSBudgetServiceGateway."
_CONTACT_PATHS = ("/putAlternateContact", "/getAlternateContact", "/deleteAlternateContact")


def _kept_by_moto(target: str, path: str) -> str | None:
    """The operation (`PutAlternateContact`...), for a call of a service moto answers
    whose state is kept."""
    if target.startswith(_BUDGETS_PREFIX):
        return target.removeprefix(_BUDGETS_PREFIX)
    if path in _CONTACT_PATHS:
        return path[1].upper() + path[2:]
    return None


def _utc_date(timestamp: float) -> date:
    return datetime.fromtimestamp(timestamp, tz=UTC).date()


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
