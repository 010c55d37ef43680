"""The settings of what teams spend (Cost Explorer), imported at the end of
portal/settings_lifecycle.py: they add the periodic refresh to the beat schedule. Every
variable is documented in `.env.example`."""

from typing import Any

import environ

import portal.settings as _base  # being imported: everything above its last line is set

_env = environ.Env()

# How old the figures may get before they are read again from Cost Explorer (seconds).
# Each refresh is one set of calls for the whole organization (USD 0.01 a call). The
# embedded demo refreshes every 5 minutes, so new accounts show figures soon.
VENDING_COST_REFRESH_SECONDS = _env.int(
    "VENDING_COST_REFRESH_SECONDS", default=300 if vars(_base)["VENDING_EMULATOR"] else 21600
)
# After a failed refresh, the next try waits this long (never more often than this).
VENDING_COST_RETRY_SECONDS = _env.int("VENDING_COST_RETRY_SECONDS", default=1800)
# How often beat asks whether a refresh is due (a database read, no AWS call).
VENDING_COST_CHECK_SECONDS = _env.int("VENDING_COST_CHECK_SECONDS", default=60)
# Full months shown before the current one.
VENDING_COST_MONTHS = _env.int("VENDING_COST_MONTHS", default=6)
# How often budgets are checked for people who changed (an account's owner, its team's
# leads, their e-mail addresses): those budgets' notifications are made again for them.
VENDING_BUDGET_RECIPIENTS_SECONDS = _env.int("VENDING_BUDGET_RECIPIENTS_SECONDS", default=900)

_schedule: dict[str, Any] = vars(_base)["CELERY_BEAT_SCHEDULE"]
_schedule["refresh-costs"] = {
    "task": "vending.cost_refresh",
    "schedule": float(VENDING_COST_CHECK_SECONDS),
}
_schedule["budget-recipients"] = {
    "task": "vending.budget_recipients",
    "schedule": float(VENDING_BUDGET_RECIPIENTS_SECONDS),
}
