"""No file of the project keeps the markers of an unresolved merge: they slip through
every other check in Markdown, templates and data files."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "var", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
SUFFIXES = {".py", ".md", ".html", ".txt", ".yaml", ".yml", ".toml", ".json", ".css", ".js"}
NAMES = {"Makefile", "Procfile", "Dockerfile", "run"}
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def _project_files() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP]
        found += [
            Path(folder, name) for name in files if Path(name).suffix in SUFFIXES or name in NAMES
        ]
    return found


def test_no_file_keeps_merge_conflict_markers():
    files = _project_files()
    assert any(p.name == "README.md" for p in files)
    marked = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for path in files
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for m in MARKER.finditer(text)
    ]
    assert marked == [], f"unresolved merge markers: {marked}"
