"""Command line shared by ``python -m vending.emulator`` and ``manage.py emulator``.

Every option can also come from the environment (``EMULATOR_*``), so a Procfile or a
container sets it once; an option given on the command line wins over the environment.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from .config import (
    DEFAULT_FAULT_KINDS,
    FAULT_KINDS,
    ConfigError,
    EmulatorConfig,
    parse_fault_kinds,
)
from .seeding import MAX_SEED_ACCOUNTS, seed_count
from .server import EmulatorServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
_T = TypeVar("_T")


@dataclass(frozen=True)
class ServeSettings:
    host: str
    port: int
    config: EmulatorConfig
    # Existing member accounts to add at start (the organization is created for them).
    seed_accounts: int = 0
    # Where the state is kept across restarts; None keeps it in memory only.
    state_file: Path | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Defaults are None so settings_from() can tell "not given" from a given value.
    parser.add_argument("--host", help=f"address to bind (EMULATOR_HOST, {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"port (EMULATOR_PORT, {DEFAULT_PORT})")
    parser.add_argument(
        "--create-delay",
        type=float,
        metavar="SECONDS",
        help="how long CreateAccount stays IN_PROGRESS (EMULATOR_CREATE_DELAY, 5)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        metavar="0.0-1.0",
        help="share of Organizations calls answered with a fault (EMULATOR_FAULT_RATE, 0)",
    )
    parser.add_argument(
        "--fault-kinds",
        metavar="KINDS",
        help=f"comma-separated subset of {','.join(FAULT_KINDS)} (EMULATOR_FAULT_KINDS, "
        f"{','.join(DEFAULT_FAULT_KINDS)})",
    )
    parser.add_argument(
        "--fault-operations",
        metavar="OPERATIONS",
        help="comma-separated operations to fault, e.g. CreateAccount,MoveAccount "
        "(EMULATOR_FAULT_OPERATIONS, every Organizations operation)",
    )
    parser.add_argument(
        "--seed", type=int, help="seed for a reproducible fault stream (EMULATOR_SEED)"
    )
    parser.add_argument(
        "--seed-accounts",
        type=int,
        metavar="N",
        help=f"start with an organization of N existing accounts, 0-{MAX_SEED_ACCOUNTS} "
        "(EMULATOR_SEED_ACCOUNTS, 0)",
    )
    parser.add_argument(
        "--monthly-cost-usd",
        type=float,
        metavar="USD",
        help="answer Cost Explorer's GetCostAndUsage with about this much a month per "
        "account (EMULATOR_MONTHLY_COST_USD; 0: moto's seeded results)",
    )
    _add_state_argument(parser)


def _add_state_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-file",
        metavar="PATH",
        help="keep the organizations in this file across restarts, e.g. "
        "var/emulator-state.pickle (EMULATOR_STATE_FILE; none: in memory only)",
    )


def settings_from(options: Mapping[str, Any], environ: Mapping[str, str]) -> ServeSettings:
    """Resolve each setting: command-line option, then ``EMULATOR_*`` variable, then default."""

    def pick(option: str, variable: str, convert: Callable[[str], _T], default: _T) -> _T:
        value = options.get(option)
        if value is not None:
            return value
        raw = environ.get(variable, "").strip()
        if not raw:
            return default
        try:
            return convert(raw)
        except ValueError as exc:
            raise ConfigError(f"{variable}={raw!r}: {exc}") from exc

    defaults = EmulatorConfig()
    config = EmulatorConfig(
        create_delay_seconds=pick(
            "create_delay", "EMULATOR_CREATE_DELAY", float, defaults.create_delay_seconds
        ),
        fault_rate=pick("fault_rate", "EMULATOR_FAULT_RATE", float, defaults.fault_rate),
        fault_kinds=parse_fault_kinds(
            pick("fault_kinds", "EMULATOR_FAULT_KINDS", str, ",".join(defaults.fault_kinds))
        ),
        fault_operations=parse_fault_kinds(
            pick("fault_operations", "EMULATOR_FAULT_OPERATIONS", str, "")
        ),
        seed=pick("seed", "EMULATOR_SEED", int, defaults.seed),
        monthly_cost_usd=pick(
            "monthly_cost_usd", "EMULATOR_MONTHLY_COST_USD", float, defaults.monthly_cost_usd
        ),
    )
    return ServeSettings(
        host=pick("host", "EMULATOR_HOST", str, DEFAULT_HOST),
        port=pick("port", "EMULATOR_PORT", int, DEFAULT_PORT),
        config=config,
        seed_accounts=_seed_accounts(pick("seed_accounts", "EMULATOR_SEED_ACCOUNTS", int, 0)),
        state_file=_state_file(pick("state_file", "EMULATOR_STATE_FILE", str, "")),
    )


def _state_file(value: str) -> Path | None:
    return Path(value) if value.strip() else None


def _seed_accounts(value: int) -> int:
    try:
        return seed_count(value)
    except ValueError as exc:
        raise ConfigError(f"--seed-accounts / EMULATOR_SEED_ACCOUNTS: {exc}") from exc


def serve(settings: ServeSettings, announce: Callable[[str], object]) -> None:
    """Serve until SIGINT or SIGTERM, then shut down cleanly (must run in the main thread)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = EmulatorServer(
            settings.host,
            settings.port,
            settings.config,
            log_requests=True,
            state_file=settings.state_file,
        )
        if settings.state_file is not None:
            announce(f"Emulator state kept in {settings.state_file}")
        if settings.seed_accounts and not server.app.restored:
            # Seeded once: a restart from the state file finds them there already.
            # Before serving, so no client ever sees a half-seeded organization.
            seeded = server.app.seed_accounts(settings.seed_accounts)
            announce(f"Organization seeded with {seeded['seeded']} existing accounts")
        with server:
            config = settings.config
            announce(
                f"AWS Organizations emulator listening on {server.endpoint_url} "
                f"(create delay {config.create_delay_seconds:g} s, "
                f"fault rate {config.fault_rate:g})"
            )
            stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    parser = argparse.ArgumentParser(
        prog="python -m vending.emulator",
        description="Local AWS Organizations emulator: moto with AWS's rules and faults.",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = settings_from(vars(args), os.environ)
    except ConfigError as exc:
        parser.error(str(exc))
    serve(settings, logging.getLogger("vending.emulator").info)
    return 0
