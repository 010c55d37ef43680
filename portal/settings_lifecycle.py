"""The settings of an account's life after creation (invitations, decommissioning,
leases), imported at the end of portal/settings.py: they add the periodic sync to its
beat schedule and name the request kinds' enum in the API schema. Every variable is
documented in `.env.example`."""

from typing import Any

import environ

import portal.settings as _base  # being imported: everything above its last line is set

_env = environ.Env()

# Closing accounts (decommission): AWS's rolling 30-day quota, 10% of member accounts
# between 10 and 1000.
VENDING_CLOSE_QUOTA_PERCENT = _env.float("VENDING_CLOSE_QUOTA_PERCENT", default=10.0)
VENDING_CLOSE_QUOTA_MIN = _env.int("VENDING_CLOSE_QUOTA_MIN", default=10)
VENDING_CLOSE_QUOTA_MAX = _env.int("VENDING_CLOSE_QUOTA_MAX", default=1000)
# Invitations: AWS allows 20 a day (past that they wait in the portal's queue).
VENDING_INVITES_PER_DAY = _env.int("VENDING_INVITES_PER_DAY", default=20)
# Leases: the longest a create request may set, in days, per "class:environment",
# "class" or "environment" (the most specific applies), e.g. '{"general:dev": 90}'.
# None set: no maximum.
VENDING_LEASE_MAX_DAYS = _env.json("VENDING_LEASE_MAX_DAYS", default={})
# How often leases, open handshakes and closing accounts are looked at (a periodic task).
VENDING_LIFECYCLE_SYNC_SECONDS = _env.int("VENDING_LIFECYCLE_SYNC_SECONDS", default=300)

_schedule: dict[str, Any] = vars(_base)["CELERY_BEAT_SCHEDULE"]
_schedule["sync-lifecycle"] = {
    "task": "vending.lifecycle_sync",
    "schedule": float(VENDING_LIFECYCLE_SYNC_SECONDS),
}
_schema: dict[str, Any] = vars(_base)["SPECTACULAR_SETTINGS"]
_schema["ENUM_NAME_OVERRIDES"]["RequestKindEnum"] = "vending.choices.RequestKind"
_schema["ENUM_NAME_OVERRIDES"]["SetupStatusEnum"] = "vending.choices.SetupStatus"

# portal/settings.py has no room left: the next topic's settings chain from here.
from portal.settings_access import *  # noqa: E402, F403  (Identity Center access)
from portal.settings_costs import *  # noqa: E402, F403  (what teams spend: Cost Explorer)
from portal.settings_webhooks import *  # noqa: E402, F403
