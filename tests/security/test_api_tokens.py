"""API tokens that a database reader cannot use: only a digest and a prefix are stored;
each token has a name, an expiry within the configured maximum and a last-used time;
people create and revoke their own, admins anyone's; the old plain tokens are gone."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.helpers import error_of
from vending.errors import InvalidInput, PermissionDenied
from vending.models import ApiToken
from vending.services.api_tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    from django.core.cache import cache

    cache.clear()


def api(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def row_text(token: ApiToken) -> str:
    """Every stored column of the token's row, as text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM vending_apitoken WHERE id = %s", [token.pk])
        return " ".join(str(value) for value in cursor.fetchone())


# -- what is stored -------------------------------------------------------------------------


def test_the_database_keeps_a_digest_and_a_prefix_never_the_secret(users):
    new = api_token_create(user=users["lead"], name="ci")
    assert new.secret.startswith("vpt_") and len(new.secret) == 47
    stored = row_text(new.token)
    assert new.secret not in stored
    assert new.secret[4:] not in stored  # not even without its marker
    assert new.token.prefix == new.secret[4:12]
    assert new.token.digest == hashlib.sha256(new.secret.encode()).hexdigest()
    # What a database reader has does not authenticate.
    assert api(new.token.digest).get("/api/v1/teams/").status_code == 401
    assert api("vpt_" + new.token.prefix).get("/api/v1/teams/").status_code == 401
    assert api(new.secret).get("/api/v1/teams/").status_code == 200


def test_each_token_has_a_name_a_default_expiry_and_a_maximum(users, settings):
    settings.VENDING_API_TOKEN_DEFAULT_DAYS = 30
    settings.VENDING_API_TOKEN_MAX_DAYS = 60
    before = timezone.now()
    default = api_token_create(user=users["lead"], name="default").token
    assert timedelta(days=30) <= default.expires_at - before < timedelta(days=30, minutes=1)
    longest = api_token_create(user=users["lead"], name="longest", expires_in_days=60).token
    assert longest.expires_at - before >= timedelta(days=60)
    for days in (61, 0, -1):
        with pytest.raises(InvalidInput) as refused:
            api_token_create(user=users["lead"], name=f"bad {days}", expires_in_days=days)
        assert "expires_in_days" in refused.value.field_errors
    assert ApiToken.objects.count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_sensible_name(users, name):
    with pytest.raises(InvalidInput) as refused:
        api_token_create(user=users["lead"], name=name)
    assert "name" in refused.value.field_errors
    assert not ApiToken.objects.exists()


def test_two_active_tokens_of_one_person_do_not_share_a_name(users):
    first = api_token_create(user=users["lead"], name="ci").token
    with pytest.raises(InvalidInput, match="already have an active token named 'ci'"):
        api_token_create(user=users["lead"], name="ci")
    api_token_create(user=users["lead2"], name="ci")  # someone else's: fine
    api_token_revoke(actor=users["lead"], token=first)
    api_token_create(user=users["lead"], name="ci")  # the name is free again


# -- authentication -------------------------------------------------------------------------


def test_expired_revoked_and_inactive_tokens_are_refused(users):
    expired = api_token_create(user=users["lead"], name="old")
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api(expired.secret).get("/api/v1/teams/")
    assert response.status_code == 401 and "expired" in error_of(response)["message"]

    revoked = api_token_create(user=users["lead"], name="gone")
    api_token_revoke(actor=users["lead"], token=revoked.token)
    response = api(revoked.secret).get("/api/v1/teams/")
    assert response.status_code == 401 and "revoked" in error_of(response)["message"]

    inactive = api_token_create(user=users["lead2"], name="leaver")
    users["lead2"].is_active = False
    users["lead2"].save()
    assert api(inactive.secret).get("/api/v1/teams/").status_code == 401


def test_last_use_is_written_at_most_once_a_minute(users):
    new = api_token_create(user=users["lead"], name="ci")
    client = api(new.secret)
    assert new.token.last_used_at is None
    client.get("/api/v1/teams/")
    first = ApiToken.objects.get(pk=new.token.pk).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/teams/")
    writes = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]
    assert writes == []
    assert ApiToken.objects.get(pk=new.token.pk).last_used_at == first
    ApiToken.objects.filter(pk=new.token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/teams/")
    assert ApiToken.objects.get(pk=new.token.pk).last_used_at > first


@pytest.mark.parametrize("parameter", ["token", "auth_token", "access_token", "key"])
def test_a_token_in_the_query_string_is_refused(users, parameter):
    secret = api_token_create(user=users["lead"], name="ci").secret
    response = APIClient().get(f"/api/v1/teams/?{parameter}={secret}")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert ApiToken.objects.get().last_used_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow  # rewinds the schema through the migrations and back: seconds
@pytest.mark.serial
def test_an_old_plain_token_stops_working_after_the_migration(users):
    """The upgrade path: a database with DRF's `authtoken` table and a plain token in it.
    Migrating vending forward drops the table: the key authenticates nobody and is gone."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("vending", "0004_audit_role_changed")])
    key = "a455" + "0" * 36
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created datetime "
            "NOT NULL, user_id integer NOT NULL UNIQUE REFERENCES auth_user (id))"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [key, timezone.now().isoformat(), users["lead"].pk],
        )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", timezone.now().isoformat()],
        )
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([("vending", "0005_api_tokens_signin_lockout")])
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone()[0] == 0
    response = api(key).get("/api/v1/teams/")
    assert response.status_code == 401


# -- the command ------------------------------------------------------------------------------


def test_create_api_token_prints_the_secret_alone_on_its_own_line(users):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", "lead", "--name", "deploy", "--expires-in", "7",
        stdout=out, stderr=err,
    )  # fmt: skip
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    secret = lines[0]
    token = ApiToken.objects.get(user=users["lead"])
    assert token.name == "deploy" and token.prefix == secret[4:12]
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert secret not in err.getvalue()
    assert api(secret).get("/api/v1/teams/").status_code == 200


def test_create_api_token_refuses_bad_input_and_creates_nothing(users, settings):
    settings.VENDING_API_TOKEN_MAX_DAYS = 30
    with pytest.raises(CommandError, match="1 to 30 days"):
        call_command("create_api_token", "lead", "--expires-in", "31", stdout=StringIO())
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", "ghost", stdout=StringIO())
    assert not ApiToken.objects.exists()


# -- the API tokens page ----------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_creates_a_token_and_shows_its_secret_once(users):
    client = page_client(users["lead"])
    assert client.get("/").content.decode().count('href="/tokens/"') == 1  # in the navigation
    response = client.post("/tokens/", {"name": "laptop", "expires_in_days": "10"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=users["lead"])
    html = response.content.decode()
    start = html.index('id="new-token-secret">') + len('id="new-token-secret">')
    secret = html[start : html.index("<", start)]
    assert secret.startswith("vpt_" + token.prefix)
    assert api(secret).get("/api/v1/teams/").status_code == 200
    # Never again: not on the list, not in the session, not in a message.
    again = client.get("/tokens/").content.decode()
    assert secret not in again and f"vpt_{token.prefix}…" in again
    assert secret not in str(dict(client.session))


def test_the_page_refuses_bad_input_and_creates_nothing(users, settings):
    settings.VENDING_API_TOKEN_MAX_DAYS = 30
    client = page_client(users["lead"])
    response = client.post("/tokens/", {"name": "laptop", "expires_in_days": "31"})
    assert response.status_code == 400
    assert "less than or equal to 30" in response.content.decode()
    response = client.post("/tokens/", {"name": "", "expires_in_days": "5"})
    assert response.status_code == 400
    assert "Give the token a name" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_person_sees_and_revokes_only_their_own_tokens(users):
    mine = api_token_create(user=users["lead"], name="mine-ci")
    theirs = api_token_create(user=users["lead2"], name="their-ci")
    client = page_client(users["lead"])
    html = client.get("/tokens/").content.decode()
    assert "mine-ci" in html and "their-ci" not in html
    assert client.post(f"/tokens/{theirs.token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None
    assert api(theirs.secret).get("/api/v1/teams/").status_code == 200
    response = client.post(f"/tokens/{mine.token.pk}/revoke/")
    assert response.status_code == 302
    revoked = ApiToken.objects.get(pk=mine.token.pk)
    assert revoked.revoked_at is not None and revoked.revoked_by == users["lead"]
    assert api(mine.secret).get("/api/v1/teams/").status_code == 401
    # Even an admin revokes another's token in the Django admin, not on this page.
    assert page_client(users["admin"]).post(f"/tokens/{theirs.token.pk}/revoke/").status_code == 404


def test_only_the_owner_or_an_admin_may_revoke(users):
    token = api_token_create(user=users["lead"], name="ci").token
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=users["approver1"], token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    api_token_revoke(actor=users["admin"], token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_by == users["admin"]


def test_a_portal_admin_revokes_anyones_token_in_the_django_admin(users):
    new = api_token_create(user=users["lead"], name="leaked")
    admin = page_client(users["admin"])  # portal-admins: neither superuser nor staff
    listing = admin.get("/admin/vending/apitoken/")
    assert listing.status_code == 200
    assert "leaked" in listing.content.decode() and new.secret not in listing.content.decode()
    assert admin.get("/admin/vending/apitoken/add/").status_code == 403
    response = admin.post(
        "/admin/vending/apitoken/",
        {"action": "revoke", "_selected_action": [str(new.token.pk)], "index": 0},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=new.token.pk).revoked_by == users["admin"]
    assert api(new.secret).get("/api/v1/teams/").status_code == 401


def test_someone_else_cannot_revoke_in_the_django_admin(users):
    new = api_token_create(user=users["lead"], name="ci")
    approver = page_client(users["approver1"])
    response = approver.post(
        "/admin/vending/apitoken/",
        {"action": "revoke", "_selected_action": [str(new.token.pk)], "index": 0},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None


# -- the access log ---------------------------------------------------------------------------


def test_the_access_log_names_the_path_without_the_query_string():
    import datetime
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from portal import gunicorn_conf

    config = Config()
    config.set("access_log_format", gunicorn_conf.access_log_format)
    secret = "vpt_" + "s3cr3t" * 7
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/api/v1/requests/?token={secret}",
        "PATH_INFO": "/api/v1/requests/",
        "QUERY_STRING": f"token={secret}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": f"https://portal.example.com/tokens/?token={secret}",
        "HTTP_USER_AGENT": "curl/8",
    }
    response = SimpleNamespace(status="401 Unauthorized", sent=120, headers=[])
    request = SimpleNamespace(headers=[("AUTHORIZATION", f"Token {secret}")])
    atoms = Logger(config).atoms(response, request, environ, datetime.timedelta(seconds=0.01))
    line = config.access_log_format % atoms
    assert '"GET /api/v1/requests/ HTTP/1.1" 401' in line
    assert secret not in line and "token=" not in line


def test_every_web_command_uses_that_access_log():
    root = Path(__file__).resolve().parents[2]
    web = next(
        line for line in (root / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert "--config python:portal.gunicorn_conf" in web and "--access-logfile -" in web
    # docker-compose.yml and the Dockerfile run the Procfile's line (test_deployment_files).
    for name in ("docker-compose.yml", "Dockerfile"):
        assert "--config python:portal.gunicorn_conf" in (root / name).read_text(), name
