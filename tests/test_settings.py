"""portal/settings.py reads `.env` before any setting reads the environment.

The settings find `.env` beside `portal/` (BASE_DIR). To leave the developer's own `.env`
alone, each test copies `portal/settings.py` into a temporary project with its own `.env`
and imports it there, in a fresh interpreter (settings are process-wide).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'base_dir': str(settings.BASE_DIR), 'var_dir': str(settings.VAR_DIR), "
    "'database': str(settings.DATABASES['default']['NAME'])}))"
)


def settings_seen(project: Path, dotenv: str, **environ: str) -> dict[str, str]:
    """The settings of a copy of the project in `project` whose `.env` holds `dotenv`."""
    (project / "portal").mkdir()
    (project / "portal" / "__init__.py").write_text("")
    for module in (ROOT / "portal").glob("settings*.py"):  # settings.py and what it imports
        shutil.copy(module, project / "portal" / module.name)
    (project / ".env").write_text(dotenv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VENDING_"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", **environ)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=project,  # `python -c` looks in the working directory first: the copy
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, str] = json.loads(result.stdout)
    assert seen["base_dir"] == str(project)
    return seen


def test_dotenv_sets_the_var_dir_and_what_lives_in_it(tmp_path: Path) -> None:
    var = tmp_path / "elsewhere"
    seen = settings_seen(tmp_path, f"DJANGO_DEBUG=true\nVENDING_VAR_DIR={var}\n")
    assert seen["var_dir"] == str(var)
    assert seen["database"] == str(var / "portal.sqlite3")


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    seen = settings_seen(
        tmp_path,
        f"DJANGO_DEBUG=true\nVENDING_VAR_DIR={tmp_path / 'from-dotenv'}\n",
        VENDING_VAR_DIR=str(tmp_path / "from-environment"),
    )
    assert seen["var_dir"] == str(tmp_path / "from-environment")
