"""The emulator's clock: wall-clock time plus an offset that only moves forward.

Handshakes expire after 15 days, invitations are counted per day and closures per 30
days. ``POST /_emulator/clock {"advance_days": N}`` moves this clock, so a test or a
demo sees those deadlines pass in seconds. Everything the emulator decides by time reads
this clock; moto's own timestamps do not, and nothing the emulator serves depends on them.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any

DAY = 86_400.0
# One step is at most ten years: a typo (an extra zero or two) is refused.
MAX_ADVANCE_SECONDS = 3650 * DAY


class EmulatorClock:
    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> float:
        return time.time() + self.offset_seconds

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds

    def to_dict(self) -> dict[str, Any]:
        now = self.now()
        return {
            "now": datetime.fromtimestamp(now, UTC).isoformat(),
            "now_epoch": now,
            "offset_seconds": self.offset_seconds,
        }


def advance_seconds(body: dict[str, Any]) -> float:
    """The step asked for by ``{"advance_days": N}``, ``{"advance_hours": N}`` or
    ``{"advance_seconds": N}`` (any combination, summed), or ValueError saying why not."""
    units = {"advance_days": DAY, "advance_hours": 3600.0, "advance_seconds": 1.0}
    unknown = sorted(set(body) - set(units))
    if unknown or not body:
        raise ValueError(
            f'unknown fields: {unknown}; send any of {sorted(units)}, e.g. {{"advance_days": 15}}'
        )
    total = 0.0
    for name, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ValueError(f"{name} must be a number")
        if value < 0:
            raise ValueError(f"{name} must be >= 0: the clock only moves forward")
        total += value * units[name]
    if total > MAX_ADVANCE_SECONDS:
        raise ValueError("the clock moves at most 3650 days in one step")
    return total
