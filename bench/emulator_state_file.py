#!/usr/bin/env python3
"""What the emulator's state file costs: one write per changing call, by organization size.

    PYTHONPATH=. .venv/bin/python bench/emulator_state_file.py [--sizes 0,100,1000,10000]

With ``--state-file`` (``make run``: ``var/emulator-state.pickle``) every Organizations
call that may change something writes the whole state (pickled, fsynced, renamed over
the old file) before it answers. This prints, per organization size, the time of one
write, the file's size and the time to load it at start. In-process, no network.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from moto.moto_api._internal.models import moto_api_backend

from vending.emulator import EmulatorConfig
from vending.emulator.app import EmulatorApp
from vending.emulator.snapshot import load

REPEATS = 5


def measure(size: int, directory: Path) -> tuple[float, int, float]:
    state_file = directory / f"state-{size}.pickle"
    moto_api_backend.reset()
    app = EmulatorApp(EmulatorConfig(), state_file=state_file)
    app.seed_accounts(size)
    writes = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        app.save()
        writes.append(time.perf_counter() - started)
    moto_api_backend.reset()
    started = time.perf_counter()
    load(state_file)
    loaded = time.perf_counter() - started
    return statistics.median(writes), state_file.stat().st_size, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,100,1000,10000")
    sizes = [int(part) for part in parser.parse_args().sizes.split(",")]
    print("| member accounts | write per changing call | file | load at start |")
    print("| ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as directory:
        for size in sizes:
            write, file_size, loaded = measure(size, Path(directory))
            print(
                f"| {size:,} | {write * 1000:.1f} ms | {file_size / 1024:,.0f} KiB "
                f"| {loaded * 1000:.0f} ms |"
            )


if __name__ == "__main__":
    main()
