"""Sign-in lockouts and API tokens in the Django admin, for portal admins too.

- "Sign-in failures" are django-axes' counted attempts. Deleting them unlocks: the user
  or address signs in again at once (the admin's history keeps who did it).
  `manage.py axes_reset_username USER`, `axes_reset_ip ADDRESS` or `axes_reset` do
  the same from the shell.
- API tokens are listed (prefix, never a secret) and revoked with an action that goes
  through the service; nothing else about them can be changed here.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from vending.models import ApiToken
from vending.roles import is_admin
from vending.services.api_tokens import api_token_revoke


@admin.register(AccessAttempt)
class SigninFailureAdmin(AccessAttemptAdmin):
    """Portal admins see the counted failures and delete them to unlock."""

    actions = ["unlock", "cleanup_expired_attempts"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user) or super().has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a record of what happened

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_delete_permission(request, obj)

    @admin.action(description="Unlock: forget these failed sign-ins", permissions=["delete"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        who = sorted({f"{a.username or '-'} from {a.ip_address or '?'}" for a in queryset})
        self.log_deletions(request, queryset)
        count, _ = queryset.delete()
        self.message_user(
            request, f"Unlocked ({count} record{'s' if count != 1 else ''}): {', '.join(who)}."
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name", "user", "prefix", "state", "created_at", "expires_at", "last_used_at",
        "revoked_at", "revoked_by",
    )  # fmt: skip
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "expires_at", "created_at")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user", "revoked_by")
    readonly_fields = list_display
    fields = list_display
    actions = ["revoke"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user) or super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the secret would be shown to the admin: its owner creates it

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay, as the record of who revoked them

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    @admin.action(description="Revoke the selected API tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = []
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
            self.log_change(request, token, "Revoked")
            revoked.append(f"{token.name} ({token.user})")
        if revoked:
            self.message_user(request, "Revoked: " + ", ".join(revoked) + ".")
        else:
            self.message_user(request, "Nothing to revoke.", messages.WARNING)
