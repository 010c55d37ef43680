"""Single sign-on: the OIDC backend's claim mapping (fabricated claims, no network) and
the settings that switch it on."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from vending.audit import RoleChangedPayload
from vending.audit_reading import audit_event_payload
from vending.choices import AuditAction
from vending.models import AuditEvent
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP
from vending.web.oidc import PortalOIDCBackend, idp_groups, portal_roles_from_claims

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture
def oidc_settings(settings):
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.invalid/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.invalid/userinfo"
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.VENDING_OIDC_GROUPS_CLAIM = "groups"
    settings.VENDING_OIDC_APPROVER_GROUPS = ["aws-approvers"]
    settings.VENDING_OIDC_ADMIN_GROUPS = ["platform-admins"]
    settings.VENDING_OIDC_USERNAME_CLAIM = "preferred_username"
    return settings


@pytest.fixture
def backend(oidc_settings):
    return PortalOIDCBackend()


def claims(**extra):
    base = {
        "sub": "00u1",
        "email": "Ada.Lovelace@example.com",
        "email_verified": True,
        "preferred_username": "ada",
        "given_name": "Ada",
        "family_name": "Lovelace",
    }
    base.update(extra)
    return base


def group_names(user):
    return sorted(user.groups.values_list("name", flat=True))


def test_oidc_create_user_maps_claims_and_groups(backend):
    user = backend.create_user(claims(groups=["aws-approvers", "engineering"]))
    user.refresh_from_db()
    assert user.username == "ada"
    assert (user.email, user.first_name, user.last_name) == (
        "Ada.Lovelace@example.com",
        "Ada",
        "Lovelace",
    )
    assert not user.has_usable_password()
    assert group_names(user) == [APPROVERS_GROUP]


def test_oidc_update_user_adds_and_removes_only_the_two_role_groups(backend):
    user = User.objects.create_user("ada", "ada.lovelace@example.com")
    auditors = Group.objects.create(name="auditors")
    user.groups.add(auditors, Group.objects.create(name=APPROVERS_GROUP))
    backend.update_user(user, claims(groups=["platform-admins"], given_name="Augusta"))
    user.refresh_from_db()
    assert group_names(user) == ["auditors", ADMINS_GROUP]
    assert user.first_name == "Augusta"
    sync = backend.sync_roles(user, claims(groups=["aws-approvers", "platform-admins"]))
    assert sync.added == (APPROVERS_GROUP,) and sync.removed == ()
    assert group_names(user) == ["approvers", "auditors", ADMINS_GROUP]
    # Signing in again with the same claims changes nothing.
    again = backend.sync_roles(user, claims(groups=["aws-approvers", "platform-admins"]))
    assert again.added == again.removed == ()


def test_oidc_missing_group_claim_removes_the_roles(backend):
    user = User.objects.create_user("ada", "ada.lovelace@example.com")
    user.groups.add(Group.objects.create(name=APPROVERS_GROUP))
    sync = backend.sync_roles(user, claims())
    assert sync.removed == (APPROVERS_GROUP,)
    assert group_names(user) == []


def role_events():
    """(actor, user, group, added, source) of each role change, oldest first."""
    out = []
    for event in AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).order_by("id"):
        payload = audit_event_payload(event)
        assert isinstance(payload, RoleChangedPayload)
        out.append((event.actor, payload.username, payload.group, payload.added, payload.source))
    return out


def test_oidc_role_changes_are_audited_as_the_portal(backend):
    user = backend.create_user(claims(groups=["aws-approvers"]))
    assert role_events() == [(None, "ada", APPROVERS_GROUP, True, "sso")]
    backend.update_user(user, claims(groups=["platform-admins"]))
    assert role_events()[1:] == [
        (None, "ada", ADMINS_GROUP, True, "sso"),
        (None, "ada", APPROVERS_GROUP, False, "sso"),
    ]
    event = AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).last()
    assert event.message == "Removed ada from approvers (single sign-on)."
    # Signing in again with the same claims changes and audits nothing.
    backend.update_user(user, claims(groups=["platform-admins"]))
    assert len(role_events()) == 3


def test_oidc_a_role_without_idp_groups_is_left_to_the_admin(backend, oidc_settings):
    oidc_settings.VENDING_OIDC_ADMIN_GROUPS = []
    user = User.objects.create_user("ada", "ada.lovelace@example.com")
    user.groups.add(Group.objects.create(name=ADMINS_GROUP))
    backend.update_user(user, claims(groups=["aws-approvers"]))
    assert group_names(user) == [APPROVERS_GROUP, ADMINS_GROUP]


def test_oidc_group_claim_name_and_idp_group_names_are_configurable(backend, oidc_settings):
    oidc_settings.VENDING_OIDC_GROUPS_CLAIM = "roles"
    oidc_settings.VENDING_OIDC_APPROVER_GROUPS = ["cloud-approvers", "sec-approvers"]
    assert portal_roles_from_claims(claims(roles=["sec-approvers"])) == {
        APPROVERS_GROUP: True,
        ADMINS_GROUP: False,
    }
    # The default claim name is no longer read.
    assert portal_roles_from_claims(claims(groups=["sec-approvers"]))[APPROVERS_GROUP] is False
    # One group as a plain string counts too.
    assert portal_roles_from_claims(claims(roles="platform-admins"))[ADMINS_GROUP] is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["a", "b"], {"a", "b"}),
        ("a", {"a"}),
        (None, set()),
        ({"a": 1}, set()),
        (["a", 3, None], {"a"}),
    ],
)
def test_oidc_idp_groups_reads_lists_and_strings(value, expected):
    assert idp_groups({"groups": value}, "groups") == expected


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ({}, True),
        ({"email_verified": False}, False),
        ({"email": ""}, False),
        ({"email_verified": None}, True),  # not sent: the IdP vouches for the address
    ],
)
def test_oidc_verify_claims_refuses_unverified_or_missing_email(backend, extra, ok):
    assert backend.verify_claims(claims(**extra)) is ok


@pytest.mark.parametrize("preferred", ["taken", "has space", "", "x" * 151])
def test_oidc_username_falls_back_to_a_hash_of_the_email(backend, preferred):
    User.objects.create_user("taken", "someone-else@example.com")
    username = backend.get_username(claims(preferred_username=preferred))
    assert username not in ("taken", "has space", "")
    assert len(username) <= 150 and " " not in username


def test_oidc_sign_in_matches_an_existing_user_by_email(backend, monkeypatch):
    """The library's whole post-token path, with the userinfo call replaced."""
    existing = User.objects.create_user("alovelace", "ada.lovelace@example.com", "pw")
    monkeypatch.setattr(
        backend, "get_userinfo", lambda *a: claims(groups=["platform-admins", "aws-approvers"])
    )
    user = backend.get_or_create_user("access-token", "id-token", {})
    assert user.pk == existing.pk and user.username == "alovelace"
    assert group_names(user) == [APPROVERS_GROUP, ADMINS_GROUP]
    assert user.has_usable_password()  # password sign-in keeps working
    # A second person signs in: created, no roles.
    monkeypatch.setattr(
        backend, "get_userinfo", lambda *a: claims(email="grace@example.com", groups=[])
    )
    new = backend.get_or_create_user("access-token", "id-token", {})
    assert new.pk != existing.pk and new.username == "ada" and group_names(new) == []


# -- settings -------------------------------------------------------------------------------

_SCRIPT = """
import django, json
from django.conf import settings
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
call_command("migrate", verbosity=0)
client = Client()
login = client.get("/login/").content.decode()
init = client.get("/oidc/authenticate/", {"next": "/accounts/"})
print(json.dumps({
    "backends": settings.AUTHENTICATION_BACKENDS,
    "button": "Sign in with single sign-on" in login and "/oidc/authenticate/" in login,
    "status": init.status_code,
    "location": init.get("Location", ""),
}))
"""


def _env(tmp_path, **extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "VENDING_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="true",
        VENDING_VAR_DIR=str(tmp_path),
        VENDING_OIDC_RP_CLIENT_ID="portal-client",
        VENDING_OIDC_RP_CLIENT_SECRET=secrets.token_urlsafe(20),
        VENDING_OIDC_OP_AUTHORIZATION_ENDPOINT="https://idp.invalid/authorize",
        VENDING_OIDC_OP_TOKEN_ENDPOINT="https://idp.invalid/token",
        VENDING_OIDC_OP_USER_ENDPOINT="https://idp.invalid/userinfo",
        VENDING_OIDC_OP_JWKS_ENDPOINT="https://idp.invalid/keys",
    )
    env.update(extra)
    return env


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
@pytest.mark.serial
def test_oidc_a_client_id_switches_single_sign_on_on(tmp_path):
    result = _run(["-c", _SCRIPT], _env(tmp_path))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["backends"][-1] == "vending.web.oidc.PortalOIDCBackend"
    assert out["button"] is True
    assert out["status"] == 302
    assert out["location"].startswith("https://idp.invalid/authorize?")
    assert "client_id=portal-client" in out["location"]
    assert "code_challenge=" in out["location"]  # PKCE


@pytest.mark.slow
@pytest.mark.serial
def test_oidc_enabled_without_its_settings_refuses_to_start(tmp_path):
    env = _env(tmp_path)
    del env["VENDING_OIDC_RP_CLIENT_SECRET"], env["VENDING_OIDC_OP_JWKS_ENDPOINT"]
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "VENDING_OIDC_RP_CLIENT_SECRET" in result.stderr
    assert "VENDING_OIDC_OP_JWKS_ENDPOINT" in result.stderr


@pytest.mark.slow
@pytest.mark.serial
def test_oidc_check_deploy_passes_with_single_sign_on(tmp_path):
    env = _env(
        tmp_path,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
    )
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
