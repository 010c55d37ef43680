"""The blueprint's default monthly budgets, per class and environment:

    budgets:
      general: {dev: 200, test: 200, qa: 500, prod: 2000}
      hipaa_pci: {prod: 5000}

in USD. An account whose class and environment have none gets no budget unless its
request asks for one (README, "Budgets").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vending.account_metadata import budget_errors
from vending.choices import ComplianceClass, Environment


def parse_budgets(raw: Any, problems: list[str]) -> dict[str, dict[str, Decimal]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("budgets: must map compliance classes to {environment: amount}")
        return {}
    out: dict[str, dict[str, Decimal]] = {}
    for cls, amounts in raw.items():
        if cls not in ComplianceClass.values:
            problems.append(f"budgets.{cls}: unknown compliance class")
            continue
        if not isinstance(amounts, dict):
            problems.append(f"budgets.{cls}: must map environments to amounts in USD")
            continue
        for env, amount in amounts.items():
            where = f"budgets.{cls}.{env}"
            if env not in Environment.values:
                problems.append(f"{where}: unknown environment")
                continue
            errors = budget_errors(amount) if not isinstance(amount, bool) else ["not a number"]
            if errors:
                problems.append(f"{where}: {errors[0]}")
                continue
            out.setdefault(str(cls), {})[str(env)] = Decimal(str(amount))
    return out
