"""`make run` in a clone of the committed HEAD serves / within two minutes.

Runs bench/fresh_clone_smoke.py with the running interpreter's virtualenv symlinked into
the clone (`--reuse-venv`), so it measures the server start, not the package download.
The real fresh-clone number comes from running the script without that option.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 120


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.timeout(BUDGET_SECONDS + 120)
def test_make_run_serves_a_fresh_clone_within_two_minutes(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    results = tmp_path / "smoke.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "fresh_clone_smoke.py"),
            "--repo",
            str(ROOT),
            "--timeout",
            str(BUDGET_SECONDS),
            "--reuse-venv",
            str(Path(sys.prefix)),
            "--json",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=BUDGET_SECONDS + 90,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    seconds = json.loads(results.read_text())["seconds"]
    assert seconds["first 200 on /"] is not None, output
    assert seconds["first 200 on /"] < BUDGET_SECONDS, output
    assert seconds["server start (after install) to 200"] < BUDGET_SECONDS, output
