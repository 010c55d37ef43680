"""The database goes away under a running web server (gunicorn, as the Procfile runs it):
the API answers 503 with Retry-After in its error envelope, pages show the 503 page,
/readyz says which dependency is down, /healthz stays up; when the database is back the
same server works again. The broker on a port nothing listens on: submitting still
works (the work is enqueued once it answers) and /readyz names the broker."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from contextlib import ExitStack
from typing import Any

import pytest

from tests.system.harness import Portal, emulator_process, free_port, postgres_database
from tests.system.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]


def call(url: str, *, token: str = "", body: dict[str, Any] | None = None,
         cookie: str = "") -> tuple[int, dict[str, str], str]:  # fmt: skip
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
    )  # fmt: skip
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # loopback only
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def submit(url: str, token: str, team: str) -> tuple[int, dict[str, str], str]:
    body = {"team": team, "compliance_class": "general", "environments": ["dev"],
            "justification": "Outage test"}  # fmt: skip
    return call(f"{url}/api/v1/requests/", token=token, body=body)


def test_a_database_outage_is_a_503_and_the_server_recovers(tmp_path):
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database(migrated=True))
        emulator = stack.enter_context(emulator_process(tmp_path))
        proxy = TcpProxy(free_port(), ("127.0.0.1", 5432))
        proxy.start()
        stack.callback(proxy.stop)
        through_proxy = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        portal = Portal(tmp_path, database_url=through_proxy,
                        broker_url="filesystem://localhost//", aws_url=emulator.url)  # fmt: skip
        portal.env["CELERY_BROKER_FILESYSTEM_DIR"] = str(tmp_path / "broker")
        stack.callback(portal.stop)
        portal.manage("portal_init")
        for team in ("payments", "search"):
            portal.manage("team_create", team, "--name", team.title(), "--lead", "lead")
        token = portal.manage("create_api_token", "lead").splitlines()[0].strip()
        url = portal.start_web(free_port())
        assert submit(url, token, "checkout")[0] == 201
        assert call(f"{url}/readyz")[0] == 200

        proxy.stop()  # the database is gone: open connections reset, new ones refused

        status, headers, text = submit(url, token, "payments")
        assert status == 503, text
        assert int(headers["Retry-After"]) > 0
        error = json.loads(text)["error"]
        assert error["code"] == "service_unavailable"
        assert "database" in error["message"]
        status, headers, text = call(f"{url}/requests/", cookie="sessionid=signed-in-session")
        assert status == 503, text
        assert "Back in a moment" in text and int(headers["Retry-After"]) > 0
        status, headers, text = call(f"{url}/readyz")
        assert status == 503
        checks = json.loads(text)["checks"]
        assert checks["database"]["ok"] is False and checks["aws"]["ok"] is True
        assert call(f"{url}/healthz")[0] == 200

        proxy.start()  # back: the same server serves again, no restart

        assert submit(url, token, "payments")[0] == 201
        assert call(f"{url}/readyz")[0] == 200
        assert "Traceback" not in (tmp_path / "web.log").read_text()


def test_a_broker_outage_keeps_submissions_and_shows_in_readyz(tmp_path):
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database(migrated=True))
        emulator = stack.enter_context(emulator_process(tmp_path))
        nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
        portal = Portal(tmp_path, database_url=database_url, broker_url=nothing_listens,
                        aws_url=emulator.url)  # fmt: skip
        stack.callback(portal.stop)
        portal.manage("portal_init")
        token = portal.manage("create_api_token", "lead").splitlines()[0].strip()
        url = portal.start_web(free_port())

        assert submit(url, token, "checkout")[0] == 201
        status, headers, text = call(f"{url}/readyz")
        assert status == 503 and int(headers["Retry-After"]) > 0
        checks = json.loads(text)["checks"]
        assert checks["broker"]["ok"] is False
        assert checks["database"]["ok"] is True and checks["aws"]["ok"] is True
