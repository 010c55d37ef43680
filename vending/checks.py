"""Deployment checks of the portal, run by `manage.py check --deploy` (beside Django's),
and one database check (vending.W002), run by `migrate` and `check --database default`.

A production host must not run in demo mode, nor keep a user whose password is one of
the public demo passwords of the README. Both are errors: `check --deploy` exits
non-zero until they are fixed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connection

from vending.services.demo import DEMO_USERS


@register(Tags.security, deploy=True)
def demo_mode_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """vending.E001: VENDING_EMULATOR=true with DJANGO_DEBUG off."""
    if settings.VENDING_EMULATOR and not settings.DEBUG:
        return [
            Error(
                "Demo mode (VENDING_EMULATOR=true) is on with DJANGO_DEBUG off: the portal "
                "would bootstrap the emulator's demo organization and create users with "
                "public passwords.",
                hint="In production unset VENDING_EMULATOR and AWS_ENDPOINT_URL; a demo "
                "runs with DJANGO_DEBUG=true.",
                id="vending.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def demo_users_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """vending.E002: a demo user that still signs in with its public password.

    Looks in the default database even without `check --database`: this is the one
    deploy check that must see the data. A user merely named like a demo user (`admin`)
    with a password of its own is no demo user. The hashes are compared without being
    upgraded, so the check writes nothing. vending.W001 when the database cannot be read.
    """
    User = get_user_model()
    demo_passwords = {demo.username: demo.password for demo in DEMO_USERS}
    try:
        if User._meta.db_table not in connection.introspection.table_names():
            return []  # not migrated yet: no user at all
        rows = list(
            User.objects.filter(username__in=demo_passwords).values_list("username", "password")
        )
    except DatabaseError as exc:
        return [
            CheckWarning(
                f"Could not look for demo users in the database: {exc}",
                hint="Run `manage.py check --deploy` where the database is reachable.",
                id="vending.W001",
            )
        ]
    found = sorted(name for name, encoded in rows if check_password(demo_passwords[name], encoded))
    if not found:
        return []
    return [
        Error(
            "Demo users with public passwords exist: " + ", ".join(found) + ".",
            hint="Delete them in the Django admin, or give each a password of its own "
            "(`manage.py changepassword USERNAME`).",
            id="vending.E002",
        )
    ]


@register(Tags.database)
def search_index_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """vending.W002: on PostgreSQL, the accounts search's trigram index is missing (its
    migration could not create the pg_trgm extension): every search reads every account.
    A database check: `manage.py migrate` and `manage.py check --database default` run it."""
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT to_regclass('vending_vendedaccount') IS NOT NULL,"
                " to_regclass('account_search') IS NOT NULL"
            )
            migrated, indexed = cursor.fetchone()
    except DatabaseError:
        return []  # vending.W001 already says the database cannot be read
    if not migrated or indexed:
        return []
    return [
        CheckWarning(
            "The accounts search has no trigram index: each search reads every account.",
            hint="As a PostgreSQL superuser run `CREATE EXTENSION pg_trgm;` in the portal's "
            "database, then `manage.py migrate vending 0030 && manage.py migrate`.",
            id="vending.W002",
        )
    ]
