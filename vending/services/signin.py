"""Sign-in lockouts: the audit trail records each one once."""

from __future__ import annotations

from django.conf import settings

from vending.audit import signin_locked_out
from vending.models import AuditEvent


def signin_lockout_record(*, username: str, ip_address: str, failures: int) -> AuditEvent | None:
    """Audit a lockout when the failures reach the limit; the failures after it (each
    refused, each restarting the wait) are the same lockout and add no event."""
    if failures != settings.AXES_FAILURE_LIMIT:
        return None
    return signin_locked_out(username=username, ip_address=ip_address, failures=failures)
