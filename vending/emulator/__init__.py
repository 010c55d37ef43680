"""Local AWS Organizations emulator: moto's server with AWS's rules, timing and faults.

Run it with ``python -m vending.emulator`` (or ``manage.py emulator``), or in-process::

    with EmulatorServer(port=0, config=EmulatorConfig(create_delay_seconds=0.3)) as server:
        client = boto3.client("organizations", endpoint_url=server.endpoint_url, ...)

This package must not import Django: it runs without the portal's settings.
"""

from .accounts import CREATE_ACCOUNT_FAILURE_REASONS
from .app import EmulatorApp
from .config import FAULT_KINDS, ConfigError, EmulatorConfig
from .server import EmulatorServer

__all__ = [
    "CREATE_ACCOUNT_FAILURE_REASONS",
    "FAULT_KINDS",
    "ConfigError",
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorServer",
]
