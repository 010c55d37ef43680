"""The README's commands work when followed in order.

The README's first `sh` block starts the portal (`make run`) and tests it (`make test`);
every later `sh` block is pasted, in order, into a second terminal while the portal
runs. This test does just that: it starts the Procfile's processes (web, worker, beat,
emulator) with honcho on free ports and a temporary var directory, as `make run` does,
then runs every later block, in order, in one bash with `set -eo pipefail`, from the
project's root, with none of the portal's variables set beforehand (the blocks set
their own, `eval "$(make -s env)"`). Any command exiting non-zero fails the test.
Blocks fenced `shell` need inputs the walk-through does not have (pages saved from a
browser) and are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.system.harness import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial]

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_first_block_starts_the_portal_and_the_others_need_it_running():
    blocks = readme_blocks()
    assert blocks[0].splitlines()[0].startswith("make run"), blocks[0]
    assert len(blocks) >= 4
    for block in blocks[1:]:
        commands = [line.strip() for line in block.splitlines()]
        assert not any(c.startswith(("make run", "make test")) for c in commands), block


def _require_venv() -> None:
    if (VENV_BIN / "python").exists() and (VENV_BIN / "honcho").exists():
        return
    message = f"{VENV_BIN} is missing: the README's commands run `.venv/bin/python` (make install)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}")


def _clean_env(tmp_path: Path, port: int, emulator_port: int) -> dict[str, str]:
    """A new terminal's environment: nothing of the portal's, the test's own ports and
    var directory (what `PORT=... EMULATOR_PORT=... make run` would be given)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "DJANGO_", "VENDING_", "CELERY_", "DATABASE_", "EMULATOR_"))
        and k not in {"PORT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    env.update(
        PORT=str(port),
        EMULATOR_PORT=str(emulator_port),
        VENDING_VAR_DIR=str(tmp_path / "var"),
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
    )
    return env


def _make_env(env: dict[str, str]) -> dict[str, str]:
    out = subprocess.run(
        ["make", "-s", "env"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    found = dict(re.findall(r"^export (\w+)='(.*)'$", out, re.M))
    assert found["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{env['EMULATOR_PORT']}", out
    return {**env, **found}


# The walk vends several requests in turn: minutes on a loaded machine, as long as the
# blocks themselves are given (below).
@pytest.mark.timeout(900)
def test_every_readme_block_runs_in_order_against_a_running_portal(tmp_path):
    _require_venv()
    assert shutil.which("make") and shutil.which("curl")
    port, emulator_port = free_port(), free_port()
    terminal = _clean_env(tmp_path, port, emulator_port)
    portal_env = _make_env(terminal)
    (tmp_path / "var").mkdir()
    python = str(VENV_BIN / "python")
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "--verbosity", "0"]):
        subprocess.run(
            [python, "manage.py", *step], cwd=ROOT, env=portal_env, check=True, timeout=300
        )
    log = tmp_path / "honcho.log"
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            [str(VENV_BIN / "honcho"), "start", "--port", str(port),
             "web", "worker", "beat", "emulator"],
            cwd=ROOT, env=portal_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(
            lambda: _serving(honcho, port, log), timeout=180, what="the portal (make run)", every=1
        )
        script = "set -eo pipefail\n" + "".join(
            f"{block}\necho '--- README block {n} done'\n"
            for n, block in enumerate(readme_blocks()[1:], start=2)
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=ROOT,
            env=terminal,
            capture_output=True,
            text=True,
            timeout=900,
        )
        done = re.findall(r"--- README block (\d+) done", result.stdout)
        assert result.returncode == 0, (
            f"README block {int(done[-1]) + 1 if done else 2} failed "
            f"(exit {result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}\n"
            f"--- portal log\n{log.read_text(errors='replace')[-4000:]}"
        )
        assert len(done) == len(readme_blocks()) - 1
        # The commands did what they say: the shell's and the API's requests completed.
        assert (
            result.stdout.count('"status":"ready"') + result.stdout.count('"status": "ready"') >= 1
        ), result.stdout[-3000:]
        assert "Completed" in result.stderr + result.stdout
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(timeout=10)


def _serving(honcho: subprocess.Popen[bytes], port: int, log: Path) -> bool:
    if honcho.poll() is not None:
        raise AssertionError(f"the portal exited:\n{log.read_text(errors='replace')[-4000:]}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False
