"""/healthz and /readyz in process, each dependency broken for real: the broker and the
AWS endpoint pointed at a port nothing listens on. (tests/system/test_dependency_outages.py
breaks the database under a real web server.)"""

from __future__ import annotations

import pytest

from tests.system.harness import free_port


@pytest.fixture
def broker_on(monkeypatch):  # type: ignore[no-untyped-def]
    from portal.celery_app import app

    def point(url: str) -> None:
        monkeypatch.setattr(app.conf, "broker_url", url)

    return point


def test_ready_when_every_dependency_answers(client, db, emulator_gateway):
    answer = client.get("/readyz")

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "aws": True,
    }


def test_not_ready_when_the_broker_does_not_answer(client, db, emulator_gateway, broker_on):
    broker_on(f"redis://127.0.0.1:{free_port()}/0")

    answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer["Retry-After"]
    checks = answer.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["broker"]["error"] == "OperationalError"
    assert checks["database"]["ok"] and checks["aws"]["ok"]


def test_not_ready_when_the_aws_endpoint_does_not_answer(
    client, db, monkeypatch, fresh_gateway_cache
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")

    answer = client.get("/readyz")

    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["aws"] == {"ok": False, "milliseconds": checks["aws"]["milliseconds"],
                             "error": "ConnectionRefusedError"}  # fmt: skip
    assert answer.json()["status"] == "not_ready"


def test_a_redis_broker_that_answers_is_ready(client, db, emulator_gateway, broker_on):
    from tests.system.harness import require_service

    require_service("Redis", "127.0.0.1", 6379)
    broker_on("redis://127.0.0.1:6379/0")

    assert client.get("/readyz").json()["checks"]["broker"]["ok"] is True


def test_healthz_asks_nothing_of_the_dependencies(client, monkeypatch, broker_on):
    # No database fixture: a query would fail the test (pytest-django blocks it).
    broker_on(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")

    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.json() == {"ok": True}
