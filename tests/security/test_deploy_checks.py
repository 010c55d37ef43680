"""Production guards: `manage.py check --deploy` fails in demo mode with debug off and
while a demo user can sign in with its public password; demo users are never created
with debug off; HSTS preload and trusting X-Forwarded-Proto are opt-in.
docs/security.md, "Production guards".
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.core.management.base import SystemCheckError
from django.db import OperationalError, connection

from vending.checks import demo_mode_check, demo_users_check
from vending.services.demo import DEMO_USERS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


def _deploy_check() -> str:
    """`manage.py check --deploy`'s output; SystemCheckError when an error is found."""
    out = StringIO()
    call_command("check", deploy=True, stdout=out, stderr=out)
    return out.getvalue()


# -- demo mode ------------------------------------------------------------------------------


def test_demo_mode_with_debug_off_fails_the_deploy_check(settings):
    settings.VENDING_EMULATOR, settings.DEBUG = True, False
    with pytest.raises(SystemCheckError, match=r"vending\.E001.*VENDING_EMULATOR=true"):
        _deploy_check()


@pytest.mark.parametrize(("emulator", "debug"), [(True, True), (False, False), (False, True)])
def test_demo_mode_check_passes_otherwise(settings, emulator, debug):
    settings.VENDING_EMULATOR, settings.DEBUG = emulator, debug
    assert demo_mode_check() == []


# -- demo users -----------------------------------------------------------------------------


@pytest.mark.parametrize("demo", DEMO_USERS, ids=lambda d: d.username)
def test_a_demo_user_with_its_public_password_fails_the_deploy_check(demo):
    User.objects.create_user(demo.username, password=demo.password)
    with pytest.raises(SystemCheckError, match=rf"vending\.E002.*{demo.username}"):
        _deploy_check()


def test_the_plain_check_does_not_stop_a_developer():
    """Only `--deploy` looks: `runserver` and every command keep working in a demo."""
    User.objects.create_user("admin", password="admin-demo-pass")
    call_command("check", stdout=StringIO())


def test_a_user_named_like_a_demo_user_with_its_own_password_passes():
    User.objects.create_user("admin", password=secrets.token_urlsafe(20))
    User.objects.create_user("lead")  # no usable password at all
    assert demo_users_check() == []
    assert "vending.E002" not in _deploy_check()


def test_changing_the_demo_password_clears_the_error_and_the_check_writes_nothing():
    user = User.objects.create_user("approver1", password="approver1-demo-pass")
    before = User.objects.get(pk=user.pk).password
    [error] = demo_users_check()
    assert error.id == "vending.E002" and "approver1" in error.msg
    assert User.objects.get(pk=user.pk).password == before  # no rehash on check
    user.set_password(secrets.token_urlsafe(20))
    user.save()
    assert demo_users_check() == []


def test_an_unreadable_database_is_a_warning(monkeypatch):
    """A check that cannot look says so instead of passing in silence."""

    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(connection.introspection, "table_names", unreachable)
    [warning] = demo_users_check()
    assert warning.id == "vending.W001"
    assert "Connection refused" in warning.msg


def test_demo_users_are_never_created_with_debug_off(settings):
    settings.VENDING_EMULATOR, settings.DEBUG = True, False
    with pytest.raises(CommandError, match="never created with DJANGO_DEBUG off"):
        call_command("demo_setup", stdout=StringIO())
    with pytest.raises(CommandError, match=r"Refusing demo mode: .*DJANGO_DEBUG=true"):
        call_command("portal_init", "--skip-migrate", stdout=StringIO())
    assert not User.objects.exists()


def test_demo_users_are_created_in_a_demo(settings):
    """The control: with debug on against the emulator they are, and the deploy check
    then names every one of them."""
    settings.VENDING_EMULATOR, settings.DEBUG = True, True
    call_command("demo_setup", stdout=StringIO())
    [error] = demo_users_check()
    assert error.msg.endswith(", ".join(sorted(d.username for d in DEMO_USERS)) + ".")


# -- production settings --------------------------------------------------------------------

SETTINGS_SCRIPT = (
    "import json; from django.conf import settings; print(json.dumps({"
    "'preload': settings.SECURE_HSTS_PRELOAD, "
    "'proxy': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)}))"
)


def _production_settings(tmp_path: Path, **extra: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VENDING_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        VENDING_VAR_DIR=str(tmp_path),
        **extra,
    )
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return seen


@pytest.mark.slow  # two Python processes load the production settings
@pytest.mark.serial
def test_hsts_preload_and_the_forwarded_proto_header_are_opt_in(tmp_path):
    assert _production_settings(tmp_path) == {"preload": False, "proxy": None}
    assert _production_settings(
        tmp_path, DJANGO_SECURE_HSTS_PRELOAD="true", VENDING_TRUST_X_FORWARDED_PROTO="true"
    ) == {"preload": True, "proxy": ["HTTP_X_FORWARDED_PROTO", "https"]}


@pytest.mark.slow
@pytest.mark.serial
def test_check_deploy_fails_on_a_production_host_in_demo_mode(tmp_path):
    """The real command with production settings: exit status and message."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "VENDING_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
        VENDING_VAR_DIR=str(tmp_path),
        VENDING_EMULATOR="true",
    )
    manage = [sys.executable, "manage.py"]
    check = subprocess.run(
        [*manage, "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode != 0
    assert "vending.E001" in check.stderr
    init = subprocess.run(
        [*manage, "portal_init"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert init.returncode != 0
    assert "Refusing demo mode" in init.stderr
    database = tmp_path / "portal.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert "auth_user" not in tables  # refused before migrating: nothing changed
