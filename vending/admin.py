"""The Django admin: where admins manage teams and their leads, users and groups.

Requests, accounts, approvals, the audit trail and drift are read-only here: their state
changes go through the services (and the audit trail), never the admin.

Portal admins (the `portal-admins` group) who may enter the admin site (`is_staff`)
manage teams, users and groups without further Django permissions; only superusers
grant superuser status or raw permissions, and only they change a superuser.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from vending.audit import audit_event_record
from vending.choices import AuditAction
from vending.models import (
    AccountRequest,
    Approval,
    AuditEvent,
    DriftFinding,
    DriftScan,
    Team,
    VendedAccount,
)
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP, is_admin

admin.site.site_header = "Account vending: administration"
admin.site.site_title = "Account vending admin"
admin.site.index_title = "Teams, people and records"

ROLE_GROUPS = {
    APPROVERS_GROUP: "Approvers: sign off account requests and read the audit trail",
    ADMINS_GROUP: "Portal admins: everything approvers do, plus teams, users and the org",
}


class PortalAdminAccess:
    """Portal admins manage these models without per-model Django permissions."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_admin(request.user) or super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_delete_permission(request, obj)  # type: ignore[misc]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user) or super().has_module_permission(request)  # type: ignore[misc]


# -- teams --------------------------------------------------------------------------------


class HasLeadFilter(admin.SimpleListFilter):
    title = "leads"
    parameter_name = "has_lead"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has a lead"), ("no", "No lead (nobody can request accounts)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(leads__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(leads__isnull=True)
        return queryset


@admin.register(Team)
class TeamAdmin(PortalAdminAccess, admin.ModelAdmin):
    list_display = ("slug", "name", "lead_names", "request_count", "created_at")
    list_display_links = ("slug", "name")
    search_fields = ("slug", "name", "leads__username", "leads__email")
    list_filter = (HasLeadFilter, "created_at")
    filter_horizontal = ("leads",)
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("slug", "name")}),
        (
            "Leads",
            {
                "fields": ("leads",),
                "description": "Team leads request accounts for the team and see its "
                "requests and accounts.",
            },
        ),
        ("Record", {"fields": ("created_at",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("leads")
            .annotate(request_total=Count("requests", distinct=True))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The slug is in account names, e-mails, tags and the audit trail: fixed once made.
        return ("slug", "created_at") if obj is not None else ("created_at",)

    @admin.display(description="Leads")
    def lead_names(self, team: Team) -> str:
        return ", ".join(sorted(u.get_username() for u in team.leads.all())) or "—"

    @admin.display(description="Requests", ordering="request_total")
    def request_count(self, team: Team) -> int:
        return int(getattr(team, "request_total", 0))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            # The admin's changeform runs in one transaction: the team and its audit
            # event are committed together, as `team_create` does for the API.
            team = form.instance
            audit_event_record(
                action=AuditAction.TEAM_CREATED,
                actor=request.user,
                team=team,
                data={
                    "slug": team.slug,
                    "leads": sorted(u.get_username() for u in team.leads.all()),
                    "via": "admin",
                },
            )


# -- users and groups ---------------------------------------------------------------------


class TeamsLedInline(admin.TabularInline):
    model = Team.leads.through
    extra = 0
    verbose_name = "team led"
    verbose_name_plural = "Teams led"
    autocomplete_fields = ("team",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request.user) or super().has_delete_permission(request, obj)


class RoleFilter(admin.SimpleListFilter):
    title = "portal role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("admin", "Portal admin"),
            ("approver", "Approver"),
            ("lead", "Team lead"),
            ("none", "No role"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        in_group = Group.objects.filter(user=OuterRef("pk"))
        admins = Exists(in_group.filter(name=ADMINS_GROUP))
        approvers = Exists(in_group.filter(name=APPROVERS_GROUP))
        leads = Exists(Team.objects.filter(leads=OuterRef("pk")))
        value = self.value()
        if value == "admin":
            return queryset.filter(Q(is_superuser=True) | admins)
        if value == "approver":
            return queryset.filter(approvers)
        if value == "lead":
            return queryset.filter(leads)
        if value == "none":
            return (
                queryset.exclude(admins)
                .exclude(approvers)
                .exclude(leads)
                .filter(is_superuser=False)
            )
        return queryset


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(PortalAdminAccess, DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "get_full_name",
        "roles",
        "teams_led",
        "is_active",
        "is_staff",
        "last_login",
    )
    list_filter = (RoleFilter, "is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("username", "email", "first_name", "last_name", "led_teams__slug")
    inlines = (TeamsLedInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups", "led_teams")

    @admin.display(description="Name")
    def get_full_name(self, user: User) -> str:
        return user.get_full_name() or "—"

    @admin.display(description="Roles")
    def roles(self, user: User) -> str:
        names = {g.name for g in user.groups.all()}
        roles = []
        if user.is_superuser:
            roles.append("superuser")
        if ADMINS_GROUP in names:
            roles.append("portal admin")
        if APPROVERS_GROUP in names:
            roles.append("approver")
        return ", ".join(roles) or "—"

    @admin.display(description="Leads")
    def teams_led(self, user: User) -> str:
        return ", ".join(sorted(t.slug for t in user.led_teams.all())) or "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # A portal admin manages people, but cannot mint superusers or raw permissions.
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


class GroupAdminForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.order_by("username"),
        required=False,
        widget=FilteredSelectMultiple("members", is_stacked=False),
        help_text="People in this group. With single sign-on, the approver and admin "
        "groups are synced from the identity provider at each sign-in.",
    )

    class Meta:
        model = Group
        fields = ("name", "members", "permissions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["members"].initial = self.instance.user_set.all()


admin.site.unregister(Group)


@admin.register(Group)
class PortalGroupAdmin(PortalAdminAccess, DjangoGroupAdmin):
    form = GroupAdminForm
    list_display = ("name", "member_count", "portal_role")
    search_fields = ("name", "user__username")
    filter_horizontal = ("permissions",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(members_total=Count("user", distinct=True))

    @admin.display(description="Members", ordering="members_total")
    def member_count(self, group: Group) -> int:
        return int(getattr(group, "members_total", 0))

    @admin.display(description="Portal role")
    def portal_role(self, group: Group) -> str:
        return ROLE_GROUPS.get(group.name, "—")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("permissions")
        if obj is not None and obj.name in ROLE_GROUPS:
            # The portal finds its roles by these names.
            readonly.append("name")
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.name in ROLE_GROUPS:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.user_set.set(form.cleaned_data["members"])


# -- read-only records --------------------------------------------------------------------


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
    list_filter = ("status", "compliance_class", "team")
    search_fields = ("=id", "team__slug", "requester__username", "justification")
    list_select_related = ("team", "requester")
    date_hierarchy = "created_at"


@admin.register(VendedAccount)
class VendedAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "environment", "account_id", "status", "target_ou_path", "request")
    list_filter = ("status", "environment", "request__compliance_class", "is_active")
    search_fields = ("name", "email", "account_id")
    list_select_related = ("request",)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("request", "approver", "created_at")
    list_select_related = ("request", "approver")
    search_fields = ("=request__id", "approver__username")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action", "actor", "team", "request", "account", "to_status")
    list_filter = ("action", "team")
    search_fields = ("=request__id", "actor__username", "message", "account__account_id")
    list_select_related = ("actor", "team", "request", "account")
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
