"""The settings of access to vended accounts through IAM Identity Center
(vending/services/account_access.py), imported by portal/settings_lifecycle.py: they add
the periodic access sweep to the beat schedule and name the access status enum in the
API schema. Every variable is documented in `.env.example`."""

from typing import Any

import environ

import portal.settings as _base  # being imported: everything above its last line is set

_env = environ.Env()

# Off: the portal never calls Identity Center and the account page says that access is
# not managed by the portal. On (default) without an instance (ListInstances finds
# none): the same, said on each account.
VENDING_IDENTITY_CENTER = _env.bool("VENDING_IDENTITY_CENTER", default=True)
# The instance and its identity store; empty: the first active one ListInstances names.
VENDING_SSO_INSTANCE_ARN = _env.str("VENDING_SSO_INSTANCE_ARN", default="")
VENDING_SSO_IDENTITY_STORE_ID = _env.str("VENDING_SSO_IDENTITY_STORE_ID", default="")
# Identity Center is regional: the region of its instance (empty: VENDING_AWS_REGION,
# then boto3's region, then us-east-1).
VENDING_SSO_REGION = _env.str("VENDING_SSO_REGION", default="")
# The AWS access portal's URL (e.g. https://d-1234567890.awsapps.com/start), linked
# from each account's page; empty: no link.
VENDING_SSO_START_URL = _env.str("VENDING_SSO_START_URL", default="")
# How long after CreateAccountAssignment (or Delete...) its status is read first; later
# reads back off, doubling up to 60 s.
VENDING_ACCESS_POLL_SECONDS = _env.float("VENDING_ACCESS_POLL_SECONDS", default=3.0)
# How long the Identity Center names an access sync resolved (the instance, group ids,
# permission set ARNs) are used without asking AWS again; one AWS says no longer exists
# is asked for again at once (vending/services/identity_names.py).
VENDING_SSO_NAMES_SECONDS = _env.int("VENDING_SSO_NAMES_SECONDS", default=3600)
# How often accounts whose access sync was lost (a worker died) are queued again.
VENDING_ACCESS_SWEEP_SECONDS = _env.int("VENDING_ACCESS_SWEEP_SECONDS", default=60)
# How often the assignments the portal made are checked against Identity Center (one
# ListAccountAssignmentsForPrincipal per team group): one removed by hand shows failed.
VENDING_ACCESS_DRIFT_SECONDS = _env.int("VENDING_ACCESS_DRIFT_SECONDS", default=3600)

_schedule: dict[str, Any] = vars(_base)["CELERY_BEAT_SCHEDULE"]
_schedule["sweep-access"] = {
    "task": "vending.access_sweep",
    "schedule": float(VENDING_ACCESS_SWEEP_SECONDS),
}
_schedule["access-drift"] = {
    "task": "vending.access_drift",
    "schedule": float(VENDING_ACCESS_DRIFT_SECONDS),
}
_schema: dict[str, Any] = vars(_base)["SPECTACULAR_SETTINGS"]
_schema["ENUM_NAME_OVERRIDES"]["AccessStatusEnum"] = "vending.choices.AccessStatus"
