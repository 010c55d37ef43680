"""Demo users and team for the embedded mode (documented in the README), and one AWS
account outside the organization, in the emulator, for the README's invitation walk-through.

Refused unless the portal talks to the local emulator with DJANGO_DEBUG on: these
passwords are public. `manage.py check --deploy` fails while any of them can sign in
(`vending/checks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from vending.aws.emulator_control import (
    emulator_config_update,
    emulator_standalone_account_ensure,
)
from vending.aws.identity_center import IdentityCenterGateway, get_identity_center
from vending.blueprint.access import AccessSpec
from vending.blueprint.current import current_blueprint
from vending.errors import PermissionDenied
from vending.models import Team
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    groups: tuple[str, ...] = ()
    superuser: bool = False


DEMO_TEAM = ("checkout", "Checkout")
# What the emulator makes each demo account spend a month (about: 0.3 to 1.7 times it).
DEMO_MONTHLY_COST_USD = 180.0


@dataclass(frozen=True)
class DemoStandaloneAccount:
    account_id: str
    name: str
    email: str


# An existing AWS account that belongs to no organization yet: a lead invites it (README).
DEMO_STANDALONE = DemoStandaloneAccount(
    "210987654321", "analytics-legacy", "analytics-legacy@example.com"
)
DEMO_USERS = (
    DemoUser("lead", "lead-demo-pass", "team lead of 'checkout'"),
    DemoUser("approver1", "approver1-demo-pass", "approver", (APPROVERS_GROUP,)),
    DemoUser("approver2", "approver2-demo-pass", "approver", (APPROVERS_GROUP,)),
    DemoUser("admin", "admin-demo-pass", "portal admin (superuser)", (ADMINS_GROUP,), True),
)


def demo_refusal() -> str:
    """Why the demo users may not be created here, or "" when they may."""
    if not settings.VENDING_EMULATOR:
        return (
            "Demo users have public passwords; they are only created against the local "
            "emulator (VENDING_EMULATOR=true)."
        )
    if not settings.DEBUG:
        return (
            "Demo users have public passwords; they are never created with DJANGO_DEBUG "
            "off. For a demo set DJANGO_DEBUG=true; in production unset VENDING_EMULATOR "
            "and AWS_ENDPOINT_URL."
        )
    return ""


def demo_setup() -> list[DemoUser]:
    refusal = demo_refusal()
    if refusal:
        raise PermissionDenied(refusal)
    User = get_user_model()
    with transaction.atomic():
        for name in (APPROVERS_GROUP, ADMINS_GROUP):
            Group.objects.get_or_create(name=name)
        for demo in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=demo.username)
            user.email = f"{demo.username}@example.com"
            user.is_staff = user.is_superuser = demo.superuser
            user.set_password(demo.password)
            user.save()
            user.groups.set(Group.objects.filter(name__in=demo.groups))
        team, _ = Team.objects.get_or_create(slug=DEMO_TEAM[0], defaults={"name": DEMO_TEAM[1]})
        team.leads.add(User.objects.get(username="lead"))
    return list(DEMO_USERS)


def demo_costs_enable(*, endpoint_url: str) -> None:
    """The emulator answers Cost Explorer with made-up spend for every account of the
    organization (vending/emulator/costs.py), so the demo's spend charts show figures;
    the periodic refresh reads them like AWS's. Demo mode only."""
    refusal = demo_refusal()
    if refusal:
        raise PermissionDenied(refusal)
    emulator_config_update(
        endpoint_url=endpoint_url, patch={"monthly_cost_usd": DEMO_MONTHLY_COST_USD}
    )


def demo_standalone_account(*, endpoint_url: str) -> str:
    """Make the demo's account outside the organization in the emulator, once: answers
    "created", "standalone" (still waiting to be invited) or "member" (invited since;
    the emulator keeps its state across restarts, so it is not made again)."""
    refusal = demo_refusal()
    if refusal:
        raise PermissionDenied(refusal)
    return emulator_standalone_account_ensure(
        endpoint_url=endpoint_url,
        account_id=DEMO_STANDALONE.account_id,
        name=DEMO_STANDALONE.name,
        email=DEMO_STANDALONE.email,
    )


def demo_identity_center_setup(gateway: IdentityCenterGateway | None = None) -> list[str]:
    """Identity Center in the emulator as the blueprint expects it (idempotent): the
    permission sets its `access:` section names, and an IdP group per team. Returns what
    was created. Nothing without VENDING_IDENTITY_CENTER, a blueprint access section or an
    instance (moto's sso-admin has one per account and region)."""
    refusal = demo_refusal()
    if refusal:
        raise PermissionDenied(refusal)
    access = current_blueprint().access
    gw = gateway or get_identity_center()
    instances = gw.list_instances() if settings.VENDING_IDENTITY_CENTER and access else []
    if access is None or not instances:
        return []
    instance = instances[0]
    made: list[str] = []
    existing = {p.name for p in gw.list_permission_sets(instance_arn=instance.instance_arn)}
    for name in access.permission_sets:
        if name not in existing:
            gw.create_permission_set(
                instance_arn=instance.instance_arn, name=name, description="Demo (emulator)"
            )
            made.append(f"permission set {name}")
    for team in Team.objects.all():
        group = _group_ensure(gw, instance.identity_store_id, access, team)
        if group:
            made.append(f"group {group}")
    return made


def emulator_team_group_ensure(team: Team, gateway: IdentityCenterGateway | None = None) -> str:
    """Against the emulator, which stands in for the IdP too: make `team`'s IdP group in
    its identity store, as an IdP's sync (SCIM) would before the team's accounts are
    given access. Returns the group made ("" when none was needed). Does nothing against
    real AWS, without Identity Center or a blueprint `access:` section."""
    access = current_blueprint().access
    if not (settings.VENDING_EMULATOR and settings.VENDING_IDENTITY_CENTER and access):
        return ""
    gw = gateway or get_identity_center()
    instances = gw.list_instances()
    if not instances:
        return ""
    return _group_ensure(gw, instances[0].identity_store_id, access, team)


def _group_ensure(gw: IdentityCenterGateway, store: str, access: AccessSpec, team: Team) -> str:
    group = access.group_for(team_slug=team.slug, idp_group=team.idp_group)
    if gw.find_group_id(identity_store_id=store, display_name=group) is not None:
        return ""
    gw.create_group(identity_store_id=store, display_name=group)
    return group
