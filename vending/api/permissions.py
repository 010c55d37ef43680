"""Endpoint-level permissions. Object-level ones are the scoped selectors: a resource a
user may not see is not found (404), never forbidden, so its existence does not leak."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from vending.roles import is_admin, is_approver


class IsApproverOrAdmin(IsAuthenticated):
    message = "Only approvers and admins can read the audit trail."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and is_approver(request.user)


class IsAdmin(IsAuthenticated):
    message = "Only portal admins can manage webhooks."

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and is_admin(request.user)
