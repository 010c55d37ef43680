"""Emulator settings: the limits it enforces and the faults it injects.

Defaults are AWS's documented values, so a portal tested against the defaults meets the
same walls it meets in production. Every field can be changed at runtime through
``POST /_emulator/config``, which is why validation lives here and not in the CLI.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

FAULT_THROTTLE = "throttle"
FAULT_CONCURRENT = "concurrent"
FAULT_5XX = "5xx"
# The call is carried out, then answered with a 5xx as if the answer were lost on the way:
# what a client sees when AWS acted but the connection or the front end failed.
FAULT_LOST_RESPONSE = "lost_response"
FAULT_KINDS: tuple[str, ...] = (FAULT_THROTTLE, FAULT_CONCURRENT, FAULT_5XX, FAULT_LOST_RESPONSE)
# The kinds injected unless others are chosen: refusals, which change nothing.
DEFAULT_FAULT_KINDS: tuple[str, ...] = (FAULT_THROTTLE, FAULT_CONCURRENT, FAULT_5XX)


class ConfigError(ValueError):
    """A configuration value is out of range or of the wrong type."""


@dataclass(frozen=True)
class EmulatorConfig:
    # How long a CreateAccount stays IN_PROGRESS. Real AWS takes minutes; 5 s keeps
    # demos snappy while still exercising the portal's polling.
    create_delay_seconds: float = 5.0
    # Organizations quotas: "Number of accounts being created concurrently: 5".
    max_in_progress_creations: int = 5
    # CreateOrganizationalUnit: SCP-enabled roots allow five OU levels below the root.
    ou_max_depth: int = 5
    # Organizations quotas for SCPs (raised in 2026, hence configurable).
    scp_max_size: int = 5120
    scp_max_per_target: int = 5
    # How long CloseAccount leaves an account PENDING_CLOSURE before it is SUSPENDED.
    close_delay_seconds: float = 5.0
    # CloseAccount: "10% of member accounts, between 10 and 1000, within a rolling 30
    # day period" (API reference).
    close_quota_percent: float = 10.0
    close_quota_min: int = 10
    close_quota_max: int = 1000
    # Organizations quotas: "Invitations sent per day: 20"; a handshake stays open for
    # 15 days (API reference, Handshake).
    invitations_per_day: int = 20
    handshake_expiry_days: float = 15.0
    # How long an Identity Center CreateAccountAssignment or DeleteAccountAssignment stays
    # IN_PROGRESS (AWS: seconds to a minute or two).
    assignment_delay_seconds: float = 1.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = DEFAULT_FAULT_KINDS
    # Operation names (e.g. "CreateAccount"); empty means every Organizations operation.
    fault_operations: tuple[str, ...] = ()
    seed: int | None = None
    # Cost Explorer (GetCostAndUsage by linked account): about this much a month per
    # account of the organization (0: moto answers, from its seeded results queue), and
    # how many account-months a page holds.
    monthly_cost_usd: float = 0.0
    cost_page_size: int = 20

    def __post_init__(self) -> None:
        # Accept lists (JSON, CLI) but store tuples so the frozen config stays hashable.
        object.__setattr__(self, "fault_kinds", _str_tuple("fault_kinds", self.fault_kinds))
        object.__setattr__(
            self, "fault_operations", _str_tuple("fault_operations", self.fault_operations)
        )
        _check_number("create_delay_seconds", self.create_delay_seconds, minimum=0)
        _check_number("fault_rate", self.fault_rate, minimum=0, maximum=1)
        _check_number("close_delay_seconds", self.close_delay_seconds, minimum=0)
        _check_number("close_quota_percent", self.close_quota_percent, minimum=0, maximum=100)
        _check_number("handshake_expiry_days", self.handshake_expiry_days, minimum=0)
        _check_number("monthly_cost_usd", self.monthly_cost_usd, minimum=0)
        _check_number("assignment_delay_seconds", self.assignment_delay_seconds, minimum=0)
        for name in (
            "max_in_progress_creations",
            "ou_max_depth",
            "scp_max_size",
            "scp_max_per_target",
            "close_quota_min",
            "close_quota_max",
            "invitations_per_day",
            "cost_page_size",
        ):
            _check_int(name, getattr(self, name), minimum=1)
        if self.close_quota_min > self.close_quota_max:
            raise ConfigError("close_quota_min must be <= close_quota_max")
        unknown = sorted(set(self.fault_kinds) - set(FAULT_KINDS))
        if unknown:
            raise ConfigError(f"fault_kinds: unknown {unknown}; choose from {list(FAULT_KINDS)}")
        if self.fault_rate > 0 and not self.fault_kinds:
            raise ConfigError("fault_kinds must not be empty when fault_rate > 0")
        if self.seed is not None:
            _check_int("seed", self.seed)

    def with_patch(self, patch: Mapping[str, Any]) -> EmulatorConfig:
        """Return a copy with ``patch`` applied; unknown fields are an error, not ignored."""
        names = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(patch) - names)
        if unknown:
            raise ConfigError(f"unknown config fields: {unknown}")
        try:
            return dataclasses.replace(self, **patch)
        except TypeError as exc:
            raise ConfigError(str(exc)) from exc

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["fault_kinds"] = list(self.fault_kinds)
        values["fault_operations"] = list(self.fault_operations)
        return values


def parse_fault_kinds(text: str) -> tuple[str, ...]:
    """Parse the comma-separated form of the CLI, ``EMULATOR_FAULT_KINDS`` and
    ``EMULATOR_FAULT_OPERATIONS``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _str_tuple(name: str, value: Iterable[str] | str) -> tuple[str, ...]:
    # A bare string would otherwise be split into characters by tuple().
    if isinstance(value, str) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{name} must be a list of strings")
    return tuple(value)


def _check_number(
    name: str, value: object, *, minimum: float, maximum: float | None = None
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ConfigError(f"{name} must be a number")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ConfigError(f"{name} must be >= {minimum}{upper}")


def _check_int(name: str, value: object, *, minimum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}")
