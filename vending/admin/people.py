"""The Django admin for people: teams and their leads, users and their roles, groups.

Portal admins (the `portal-admins` group) who may enter the admin site (`is_staff`)
manage teams, users and groups without further Django permissions; only superusers
grant superuser status or raw permissions, and only they change a superuser.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest

from vending.choices import RoleChangeSource
from vending.errors import DomainError
from vending.models import (
    Team,
)
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP, is_admin
from vending.services.roles import user_role_set
from vending.services.teams import team_create, team_idp_group_set

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
            "Access",
            {
                "fields": ("idp_group",),
                "description": "The team's group in the identity provider: IAM Identity "
                "Center gives it the blueprint's permission sets on the team's accounts. "
                "Empty: the blueprint's group_template with the slug.",
            },
        ),
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

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # `team_create` lets portal admins only; a raw Django permission is not enough.
        return is_admin(request.user)

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        if change:
            idp_group = obj.idp_group
            obj.idp_group = form.initial.get("idp_group", "")
            super().save_model(request, obj, form, change)
            if idp_group != obj.idp_group:  # access moves to the new group
                team_idp_group_set(actor=request.user, team=obj, idp_group=idp_group)
            return
        # A new team is created (with its leads and audit event) by the same service as
        # for the API and the command; the admin then carries on with the saved row.
        team = team_create(
            actor=request.user,
            slug=obj.slug,
            name=obj.name,
            leads=[u.get_username() for u in form.cleaned_data.get("leads", ())],
            idp_group=obj.idp_group,
        )
        obj.pk = team.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)
            return
        # `team_create` set the leads: only the inlines (none today) are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


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

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        groups = form.cleaned_data.get("groups")
        if groups is None:  # the add form has no groups
            super().save_related(request, form, formsets, change)
            return
        # The form saves the other groups and keeps the role groups as they are; each
        # role changed goes through the service, which audits it.
        user = form.instance
        held = list(user.groups.filter(name__in=list(ROLE_GROUPS)))
        form.cleaned_data["groups"] = [g for g in groups if g.name not in ROLE_GROUPS] + held
        super().save_related(request, form, formsets, change)
        for name in ROLE_GROUPS:
            member = any(g.name == name for g in groups)
            if member != any(g.name == name for g in held):
                _role_set(request, user=user, group=name, member=member)


def _role_set(request: HttpRequest, *, user: User, group: str, member: bool) -> None:
    try:
        user_role_set(
            actor=request.user,
            user=user,
            group=group,
            member=member,
            source=RoleChangeSource.ADMIN,
        )
    except DomainError as exc:
        messages.error(request, f"{user.get_username()}, {group}: {exc.message}")


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
        group, wanted = form.instance, set(form.cleaned_data["members"])
        if group.name not in ROLE_GROUPS:
            group.user_set.set(wanted)
            return
        # Role membership goes through the service, which audits each change.
        for user in sorted(set(group.user_set.all()) ^ wanted, key=lambda u: u.get_username()):
            _role_set(request, user=user, group=group.name, member=user in wanted)
