"""The blueprint in force: the configured file, re-read when it changes, and the
class -> OU mapping every placement reads."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

from vending.blueprint.loader import blueprint_path, load_blueprint
from vending.blueprint.model import Blueprint
from vending.compliance.catalog import catalog_file


@cache
def _load(path: Path, mtime: float, catalog: tuple[Path, int]) -> Blueprint:
    return load_blueprint(path)


def current_blueprint() -> Blueprint:
    """The configured blueprint, re-read when its file changes or the compliance catalog
    its SCPs are generated from does (another file, or the same one edited)."""
    path = blueprint_path()
    return _load(path, path.stat().st_mtime, catalog_file())


def class_ou_path(compliance_class: str) -> str:
    """The OU path (e.g. `HipaaOU/HipaaPciOU`) where accounts of a class are placed."""
    return current_blueprint().classes[compliance_class]


def class_budget_default(compliance_class: str, environment: str) -> Decimal | None:
    """The blueprint's monthly budget for accounts of this class and environment."""
    return current_blueprint().budgets.get(compliance_class, {}).get(environment)
