"""The architecture rules, enforced by `pytest` alone (no one has to remember `make lint`).

Layers: the import-linter contracts in pyproject.toml ([tool.importlinter]) hold. They say
that only vending.aws imports boto3/botocore, that the emulator imports nothing from the
portal, that models/aws sit below services, services below web/api, selectors do not
import services, and web and api are independent.

Size, for production code (vending/**/*.py and portal/**/*.py, migrations excluded):

* a module has at most MAX_MODULE_LINES lines (all lines: code, comments, blanks);
* a function or method has at most MAX_FUNCTION_LINES lines, counted from its `def` line
  to its last line (`end_lineno - lineno + 1`; decorators are not counted, the docstring,
  comments and nested functions are). A longer one is allowed only when its docstring has
  a line starting with "Long because" followed by the reason, e.g.
  "Long because the eleven steps must read in order and share six locals."
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_PACKAGES = ("vending", "portal")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
REASON_PREFIX = "Long because"


def production_modules() -> Iterator[Path]:
    for package in PRODUCTION_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def has_length_reason(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    docstring = ast.get_docstring(node) or ""
    return any(
        line.strip().startswith(REASON_PREFIX) and line.strip()[len(REASON_PREFIX) :].strip()
        for line in docstring.splitlines()
    )


# A process of its own; `make check` runs lint-imports in its lint step already.
@pytest.mark.slow
@pytest.mark.serial
def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    command = str(lint_imports) if lint_imports.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is missing: install the dev extras (make install)"
    result = subprocess.run(
        [command, "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_is_too_long() -> None:
    too_long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in production_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, f"Modules over {MAX_MODULE_LINES} lines (split them):\n" + "\n".join(
        too_long
    )


@pytest.mark.slow
def test_no_function_is_too_long_without_a_reason() -> None:
    too_long = []
    for path in production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES and not has_length_reason(node):
                too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines}")
    assert not too_long, (
        f"Functions over {MAX_FUNCTION_LINES} lines: split them, or give the docstring a "
        f"line starting with {REASON_PREFIX!r} and the reason:\n" + "\n".join(sorted(too_long))
    )
