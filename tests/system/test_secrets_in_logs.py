"""A whole running portal (gunicorn as the Procfile runs it, Celery, PostgreSQL, Redis, the
emulator) writes none of its secrets to its logs or keeps them in its database.

A user signs in with a wrong and then the right password, creates an API token on its
page and another with `create_api_token`, calls the API with them (once with the token
in the query string, which is refused), submits a request that is approved and
provisioned, and signs out. Then every log of every process is read whole, and every
row of every table, for the passwords, the token secrets, the session and CSRF cookies
and DJANGO_SECRET_KEY.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.system.harness import PYTHON, ROOT, free_port

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

CREATE_USER = """
import os
from django.contrib.auth.models import User
from vending.models import Team
user = User.objects.create_user("casey", "casey@example.com", os.environ["CASEY_PASSWORD"])
Team.objects.get(slug="checkout").leads.add(user)
"""


class Browser:
    """Cookies and CSRF like a browser's, over plain HTTP to 127.0.0.1."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name and c.value)

    def get(self, path: str) -> str:
        with self.opener.open(self.url + path, timeout=30) as response:  # loopback only
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        self.get(path if path != "/logout/" else "/")  # sets the CSRF cookie
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        try:
            with self.opener.open(self.url + path, data.encode(), timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def api(url: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def database_text(database_url: str) -> str:
    """Every row of every table, as text."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        return "\n".join(
            str(row[0])
            for table in tables
            for row in conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
        )


def test_no_secret_reaches_the_logs_or_the_database(make_portal, tmp_path: Path):
    password = "Pw-" + secrets.token_urlsafe(16)
    wrong_password = "Wrong-" + secrets.token_urlsafe(16)
    secret_key = secrets.token_urlsafe(50)

    portal, _emulator = make_portal()
    portal.env["DJANGO_SECRET_KEY"] = secret_key
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", CREATE_USER],
        cwd=ROOT, env={**portal.env, "CASEY_PASSWORD": password}, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    portal.start_worker(concurrency=2)
    url = portal.start_web(free_port())

    browser = Browser(url)
    status, _ = browser.post("/login/", {"username": "casey", "password": wrong_password})
    assert status == 200  # the form again
    status, _ = browser.post("/login/", {"username": "casey", "password": password})
    assert status == 200 and "Hello, casey" in browser.get("/")
    session = browser.cookie("sessionid")
    status, page = browser.post("/tokens/", {"name": "laptop", "expires_in_days": "7"})
    assert status == 201
    web_token = re.search(r'id="new-token-secret">(vpt_[^<]+)<', page)[1]
    cli_token = portal.manage("create_api_token", "casey", "--name", "cli").splitlines()[0]
    assert cli_token.startswith("vpt_")

    assert api(url, "/api/v1/teams/", cli_token)[0] == 200
    query = urllib.request.Request(f"{url}/api/v1/requests/?token={web_token}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(query, timeout=30)  # loopback only
    assert refused.value.code == 401
    status, created = api(
        url, "/api/v1/requests/", web_token,
        {"team": "checkout", "compliance_class": "general", "environments": ["dev"],
         "justification": "secrets test"},
    )  # fmt: skip
    assert status == 201, created
    portal.manage("request_approve", str(created["id"]), "--as", "approver1")
    assert portal.wait_finished(created["id"])["status"] == "completed"
    assert api(url, f"/api/v1/requests/{created['id']}/", web_token)[0] == 200
    csrf = browser.cookie("csrftoken")
    found_in_db = database_text(portal.env["DATABASE_URL"])  # while the session is open
    browser.post("/logout/", {})
    portal.stop()

    logs = {p.name: p.read_text(errors="replace") for p in sorted(tmp_path.glob("*.log"))}
    assert {"web.log", "worker-0.log", "emulator.log"} <= set(logs)
    found_in_db += database_text(portal.env["DATABASE_URL"])
    assert "casey" in found_in_db  # the dump reads the rows
    kept = {
        "the password": password,
        "the wrong password": wrong_password,
        "the page's API token": web_token,
        "the command's API token": cli_token,
        "the session key": session,
        "the CSRF secret": csrf,
        "DJANGO_SECRET_KEY": secret_key,
    }
    leaks = [f"{what} in {name}" for what, value in kept.items() for name, text in logs.items()
             if value in text]  # fmt: skip
    leaks += [f"{what} in the database" for what, value in kept.items() if value in found_in_db]
    assert not leaks, "\n".join(leaks)
    # The access log was on, and named the refused call by its path alone.
    assert '"GET /api/v1/requests/ HTTP/1.1" 401' in logs["web.log"]
    assert '"POST /api/v1/requests/ HTTP/1.1" 201' in logs["web.log"]
