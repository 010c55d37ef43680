"""Reads of the append-only audit trail (approvers and admins only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from vending.errors import PermissionDenied
from vending.models import AuditEvent
from vending.roles import User, is_approver
from vending.selectors.filters import filter_by

# `since` and `until` are aware datetimes: [since, until).
AUDIT_FILTERS = {
    "team": "team__slug",
    "request": "request_id",
    "action": "action",
    "actor": "actor__username",
    "since": "created_at__gte",
    "until": "created_at__lt",
}
NOT_ALLOWED = "Only approvers and admins can read the audit trail."


def audit_event_list_for(
    *, user: User, filters: Mapping[str, Any], newest_first: bool = False
) -> QuerySet[AuditEvent]:
    """The trail `user` may read, filtered; oldest first (the API pages it so: new events
    only append) or newest first (the web page). Raises `PermissionDenied` for anyone
    who is not an approver or admin, so a page can say why instead of showing nothing."""
    if not is_approver(user):
        raise PermissionDenied(NOT_ALLOWED)
    qs = AuditEvent.objects.visible_to(user).select_related("actor", "team", "account")
    qs = filter_by(qs, filters, AUDIT_FILTERS)
    if newest_first:
        return qs.order_by("-created_at", "-id")
    return qs.order_by("created_at", "id")
