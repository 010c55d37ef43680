"""Who may do what: team leads, approvers and admins (DESIGN.md section 9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Exists, OuterRef, Q, QuerySet

if TYPE_CHECKING:  # the models import this module for their visibility rules
    from vending.models import AccountRequest, Team

APPROVERS_GROUP = "approvers"
ADMINS_GROUP = "portal-admins"


class Operator:
    """Someone at the operator's shell (management commands run without `--as`): they
    hold the database already, so every read answers them as it answers an admin."""

    is_authenticated = True
    is_superuser = True
    pk = None

    def __str__(self) -> str:
        return "the operator"


OPERATOR = Operator()

User = AuthUser | AnonymousUser | Operator


ROLE_GROUPS = (ADMINS_GROUP, APPROVERS_GROUP)


def role_groups_held(user: str = "pk") -> dict[str, Exists]:
    """For a query of users (or of rows whose `user` field names one): whether each is
    in each role group (`roles_remember` keeps the answer), so that a query made anyway
    reads the roles too."""
    through = AuthUser.groups.through.objects
    return {
        f"in_{name.replace('-', '_')}": Exists(
            through.filter(user_id=OuterRef(user), group__name=name)
        )
        for name in ROLE_GROUPS
    }


def roles_remember(user: AuthUser, row: Mapping[str, Any]) -> None:
    """Keep on `user` the role groups a query read with `role_groups_held` (and no more
    than for the request at hand: the object is the request's)."""
    user._role_groups = frozenset(  # type: ignore[attr-defined]
        name for name in ROLE_GROUPS if row[f"in_{name.replace('-', '_')}"]
    )


def _in_group(user: User, *names: str) -> bool:
    """Whether `user` is in any of the groups `names`: one query, none when a view
    already loaded their groups (prefetch_related) or a query read them
    (`roles_remember`)."""
    if not isinstance(user, AuthUser):
        return False
    remembered = getattr(user, "_role_groups", None)
    if remembered is not None:
        return any(name in remembered for name in names)
    prefetched = getattr(user, "_prefetched_objects_cache", {}).get("groups")
    if prefetched is not None:
        return any(g.name in names for g in prefetched)
    return user.groups.filter(name__in=names).exists()


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _in_group(user, ADMINS_GROUP)))


def is_approver(user: User) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or _in_group(user, ADMINS_GROUP, APPROVERS_GROUP))
    )


def is_lead_of(user: User, team: Team) -> bool:
    return isinstance(user, AuthUser) and team.leads.filter(pk=user.pk).exists()


def approver_users() -> QuerySet[AuthUser]:
    """Everyone `is_approver` says yes to, as a query: active members of the approvers or
    admins group, and active superusers (no duplicates: the groups are an EXISTS)."""
    in_group = AuthUser.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name__in=(APPROVERS_GROUP, ADMINS_GROUP)
    )
    return AuthUser.objects.filter(Q(is_superuser=True) | Exists(in_group), is_active=True)


def team_viewers(team_id: int) -> QuerySet[AuthUser]:
    """Everyone who may see a team's requests and accounts, as one query: `visible_to`'s
    rule the other way round (approvers, admins and superusers see everything, a lead
    their teams'); active users only."""
    leads = AuthUser.led_teams.through.objects.filter(user_id=OuterRef("pk"), team_id=team_id)
    return approver_users() | AuthUser.objects.filter(Exists(leads), is_active=True)


def approval_refusal(user: User, request: AccountRequest) -> str:
    """Why `user` may not approve `request`, or "" when they may (separation of duties).

    Only approvers approve; nobody approves their own request, nor a request of a team
    they lead (the team's leads vouch for its requests: the approval must come from
    outside). A second approval by the same person is refused by the service, under the
    request's row lock. `vending.selectors.requests.eligible_approvers` is this rule as
    a query, and `approvals_counted` applies it again to the approvals already given.
    """
    if not is_approver(user):
        return "Only approvers can approve requests."
    if request.requester_id == user.pk:
        return "You cannot approve your own request."
    if is_lead_of(user, request.team):
        return (
            f"You lead team '{request.team.slug}': a request of a team you lead must be "
            "approved by an approver who does not lead it."
        )
    return ""
