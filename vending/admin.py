from django.contrib import admin
from django.http import HttpRequest

from vending.models import AccountRequest, Approval, AuditEvent, Team, VendedAccount


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")
    filter_horizontal = ("leads",)


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
    list_display = ("id", "team", "compliance_class", "status", "requester", "created_at")
    list_filter = ("status", "compliance_class")


@admin.register(VendedAccount)
class VendedAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "environment", "account_id", "status", "target_ou_path")
    list_filter = ("status", "environment")
    search_fields = ("name", "email", "account_id")


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("request", "approver", "created_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "request", "account", "to_status")
    list_filter = ("action",)
