"""``python -m vending.emulator`` and ``manage.py emulator``: options, environment, signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from vending.emulator.cli import ServeSettings, settings_from
from vending.emulator.config import DEFAULT_FAULT_KINDS, FAULT_KINDS, ConfigError, EmulatorConfig

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    assert settings_from({}, {}) == ServeSettings("127.0.0.1", 4566, EmulatorConfig())
    assert EmulatorConfig().create_delay_seconds == 5
    # A lost response changes state: it is injected only when asked for by name.
    assert EmulatorConfig().fault_kinds == DEFAULT_FAULT_KINDS
    assert set(FAULT_KINDS) - set(DEFAULT_FAULT_KINDS) == {"lost_response"}


def test_environment_variables_set_every_option() -> None:
    environ = {
        "EMULATOR_HOST": "0.0.0.0",
        "EMULATOR_PORT": "5001",
        "EMULATOR_CREATE_DELAY": "0.5",
        "EMULATOR_FAULT_RATE": "0.25",
        "EMULATOR_FAULT_KINDS": "throttle, lost_response",
        "EMULATOR_FAULT_OPERATIONS": "CreateAccount,MoveAccount",
        "EMULATOR_SEED": "7",
    }

    settings = settings_from({}, environ)

    assert (settings.host, settings.port) == ("0.0.0.0", 5001)
    assert settings.config == EmulatorConfig(
        create_delay_seconds=0.5,
        fault_rate=0.25,
        fault_kinds=("throttle", "lost_response"),
        fault_operations=("CreateAccount", "MoveAccount"),
        seed=7,
    )


def test_command_line_options_win_over_the_environment() -> None:
    options = {"port": 6000, "create_delay": 0.0, "fault_kinds": "concurrent", "seed": 0}
    environ = {
        "EMULATOR_PORT": "5001",
        "EMULATOR_CREATE_DELAY": "9",
        "EMULATOR_FAULT_KINDS": "5xx",
        "EMULATOR_SEED": "7",
    }

    settings = settings_from(options, environ)

    assert settings.port == 6000
    assert settings.config.create_delay_seconds == 0
    assert settings.config.fault_kinds == ("concurrent",)
    assert settings.config.seed == 0


@pytest.mark.parametrize(
    "environ",
    [
        {"EMULATOR_PORT": "http"},
        {"EMULATOR_FAULT_RATE": "2"},
        {"EMULATOR_FAULT_KINDS": "throttle,meteor"},
        {"EMULATOR_CREATE_DELAY": "-1"},
    ],
)
def test_invalid_settings_are_reported(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        settings_from({}, environ)


def test_the_management_command_takes_the_same_options() -> None:
    pytest.importorskip("django")
    from vending.management.commands.emulator import Command

    parser = Command().create_parser("manage.py", "emulator")
    options = vars(parser.parse_args(["--port", "5002", "--fault-rate", "0.1", "--seed", "3"]))

    settings = settings_from(options, {"EMULATOR_CREATE_DELAY": "1"})

    assert settings.port == 5002
    assert settings.config == EmulatorConfig(create_delay_seconds=1, fault_rate=0.1, seed=3)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
@pytest.mark.serial
def test_python_m_serves_until_sigterm() -> None:
    port = free_port()
    environ = {**os.environ, "EMULATOR_CREATE_DELAY": "0.1", "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "vending.emulator", "--port", str(port), "--seed", "5"],
        cwd=REPO_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        config = _wait_for_config(f"http://127.0.0.1:{port}/_emulator/config", process)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert (config["create_delay_seconds"], config["seed"]) == (0.1, 5)
    assert process.returncode == 0, output
    announced = [line for line in output.splitlines() if "listening on" in line]
    assert len(announced) == 1 and f"http://127.0.0.1:{port}" in announced[0], output


def _wait_for_config(url: str, process: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                return dict(json.load(answer))
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"the emulator never answered {url}")
