"""Injected transient faults, so the portal's retry and idempotency paths get exercised.

A fault is decided before the request reaches any state. The refusals (throttle,
concurrent, 5xx) change nothing: exactly what a client may assume of a throttled or
refused AWS call. A lost response (``lost_response``) is the other case a client must
survive: the call is carried out, then answered with a 5xx, so the caller cannot tell
it from a 5xx that did nothing.
"""

from __future__ import annotations

import random

from .config import (
    FAULT_5XX,
    FAULT_CONCURRENT,
    FAULT_LOST_RESPONSE,
    FAULT_THROTTLE,
    EmulatorConfig,
)
from .protocol import OrganizationsError

_SERVICE_EXCEPTION = (
    "ServiceException",
    "AWS Organizations can't complete your request because of an internal service "
    "error. Try again later.",
    500,
)

# The codes and texts AWS Organizations answers (API reference, Common Errors and each
# operation's Errors list); ServiceException is the one modeled as a server fault.
_FAULT_ERRORS: dict[str, tuple[str, str, int]] = {
    FAULT_THROTTLE: ("TooManyRequestsException", "Rate exceeded", 400),
    FAULT_CONCURRENT: (
        "ConcurrentModificationException",
        "AWS Organizations can't complete your request because it conflicts with another "
        "attempt to modify the same entity. Try again later.",
        400,
    ),
    FAULT_5XX: _SERVICE_EXCEPTION,
    FAULT_LOST_RESPONSE: _SERVICE_EXCEPTION,
}


class LostResponse(OrganizationsError):
    """Answered after the call was carried out (the ``lost_response`` fault)."""


class FaultInjector:
    """Draws faults from a private random stream, reproducible when a seed is set.

    Not thread-safe by itself: the WSGI app calls it under its state lock, which also
    makes the sequence of draws follow the order requests are served in.
    """

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)  # noqa: S311 - test faults, not cryptography

    def reseed(self, seed: int | None) -> None:
        self._random.seed(seed)

    def getstate(self) -> object:
        return self._random.getstate()

    def setstate(self, state: object) -> None:
        self._random.setstate(state)  # type: ignore[arg-type]

    def draw(self, operation: str, config: EmulatorConfig) -> OrganizationsError | None:
        if config.fault_rate <= 0:
            return None
        if config.fault_operations and operation not in config.fault_operations:
            return None
        if self._random.random() >= config.fault_rate:
            return None
        kind = self._random.choice(config.fault_kinds)
        code, message, status = _FAULT_ERRORS[kind]
        error = LostResponse if kind == FAULT_LOST_RESPONSE else OrganizationsError
        return error(code, message, status=status)
