"""Requests, accounts, approvals, the audit trail, drift and the e-mail outbox in the Django
admin: read-only.

Their state changes go through the services (and the audit trail), never the admin.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from vending.models import (
    AccountRequest,
    Approval,
    AuditEvent,
    DriftFinding,
    DriftScan,
    Notification,
    VendedAccount,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """State changes go through the services (and the audit trail), never the admin."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AccountRequest)
class AccountRequestAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "environments", "status", "requester", "created_at")
    list_filter = ("status", "compliance_class", "team")
    search_fields = ("=id", "team__slug", "requester__username", "justification")
    list_select_related = ("team", "requester")
    date_hierarchy = "created_at"


@admin.register(VendedAccount)
class VendedAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "environment", "account_id", "status", "target_ou_path", "request")
    list_filter = ("status", "origin", "environment", "request__compliance_class", "is_active")
    search_fields = ("name", "email", "account_id")
    list_select_related = ("request__team",)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("request", "approver", "created_at")
    list_select_related = ("request__team", "approver")
    search_fields = ("=request__id", "approver__username")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "team", "request", "account", "to_status")
    list_filter = ("action", "team")
    search_fields = ("=request__id", "actor__username", "message", "account__account_id")
    list_select_related = ("actor", "team", "request__team", "account")
    date_hierarchy = "created_at"


@admin.register(DriftFinding)
class DriftFindingAdmin(ReadOnlyAdmin):
    list_display = ("kind", "target", "detail", "times_seen", "first_seen", "last_seen", "open")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "target", "detail")

    @admin.display(boolean=True, description="Open")
    def open(self, finding: DriftFinding) -> bool:
        return finding.resolved_at is None


@admin.register(DriftScan)
class DriftScanAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "findings", "error")
    date_hierarchy = "started_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The e-mail outbox: what was sent, what waits (and its last error), what was dropped."""

    list_display = ("created_at", "kind", "request", "status", "attempts", "sent_at", "outcome")
    list_filter = ("status", "kind")
    search_fields = ("=request__id", "subject")
    list_select_related = ("request",)
    date_hierarchy = "created_at"
