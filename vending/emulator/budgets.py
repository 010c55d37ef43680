"""AWS Budgets' UpdateBudget, which moto (5.x) lacks: the portal changes a vended
account's budget in place (README, "Budgets"), as AWS does, keeping its history.

`install()` adds the operation to moto's Budgets backend and response classes, so both
moto's server (the emulator) and moto in-process answer it. Idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from moto.budgets.exceptions import NotFoundException
from moto.budgets.models import Budget, BudgetsBackend
from moto.budgets.responses import BudgetsResponse
from moto.core.utils import unix_time


def _backend_update_budget(
    self: BudgetsBackend, account_id: str, new_budget: dict[str, Any]
) -> None:
    name = new_budget.get("BudgetName", "")
    existing: Budget | None = self.budgets[account_id].get(name)
    if existing is None:
        raise NotFoundException(f"Unable to update budget: {name} - the budget doesn't exist.")
    updated = {**existing.budget, **new_budget, "LastUpdatedTime": unix_time()}
    existing.budget = updated


def _response_update_budget(self: BudgetsResponse) -> str:
    self.backend.update_budget(  # type: ignore[attr-defined]
        account_id=self._get_param("AccountId"), new_budget=self._get_param("NewBudget")
    )
    return json.dumps({})


def install() -> None:
    BudgetsBackend.update_budget = _backend_update_budget  # type: ignore[attr-defined]
    BudgetsResponse.update_budget = _response_update_budget  # type: ignore[attr-defined]
