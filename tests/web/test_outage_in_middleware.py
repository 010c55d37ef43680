"""A database or broker outage met in a middleware, before any view runs, is a 503 too.

The session and authentication middlewares read the database for a signed-in user as soon
as something asks who the user is; an outage there raises outside every view, where
neither the API's exception handler nor `DependencyOutageMiddleware.process_exception`
runs. `handler500` (portal/outage.py) must still answer 503 with Retry-After: the JSON
error envelope under /api/, the friendly page elsewhere. The database is made unreachable
the way Django reports it (OperationalError from every query); the broker the way kombu
does. (tests/system/test_dependency_outages.py cuts a real PostgreSQL under gunicorn.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError

from vending.health import RETRY_AFTER_SECONDS

# Django's ordinary sign-in middlewares, then one more that asks who the user is (as an
# auditing or "last seen" middleware would): the session is read from the database there.
ASKS_WHO = "tests.web.test_outage_in_middleware.AsksWhoTheUserIs"


class AsksWhoTheUserIs:
    broker_down = False  # when set, it fails as kombu does when it cannot publish

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.broker_down:
            raise BrokerError("[Errno 111] Connection refused")
        request.user.is_authenticated  # loads the session and the user
        return self.get_response(request)


@contextmanager
def database_down() -> Iterator[None]:
    def refuse(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        raise OperationalError("connection to server at 127.0.0.1:5432 failed: refused")

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def signed_in(users, settings) -> Client:  # type: ignore[no-untyped-def]
    settings.DEBUG = False  # DEBUG answers with its technical page, not handler500
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, ASKS_WHO]
    client = Client(raise_request_exception=False)
    client.force_login(users["lead"])
    return client


def assert_api_503(answer: HttpResponse, what: str) -> None:
    assert answer.status_code == 503, answer.content[:300]
    assert answer["Retry-After"] == str(RETRY_AFTER_SECONDS)
    error = answer.json()["error"]
    assert error["code"] == "service_unavailable"
    assert what in error["message"]
    assert error["fields"] == {}


def assert_page_503(answer: HttpResponse, what: str) -> None:
    assert answer.status_code == 503, answer.content[:300]
    assert answer["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert answer["Content-Type"].startswith("text/html")
    page = answer.content.decode()
    assert "Back in a moment" in page
    assert what in page


@pytest.mark.parametrize("path", ["/", "/requests/", "/api/v1/requests/", "/api/v1/accounts/"])
def test_the_database_down_in_a_middleware_is_a_503(signed_in, path):
    with database_down():
        answer = signed_in.get(path)

    if path.startswith("/api/"):
        assert_api_503(answer, "database")
    else:
        assert_page_503(answer, "database")


@pytest.mark.parametrize("path", ["/", "/api/v1/requests/"])
def test_the_broker_down_in_a_middleware_is_a_503(signed_in, monkeypatch, path):
    monkeypatch.setattr(AsksWhoTheUserIs, "broker_down", True)

    answer = signed_in.get(path)

    if path.startswith("/api/"):
        assert_api_503(answer, "task queue")
    else:
        assert_page_503(answer, "task queue")


def test_the_same_pages_answer_once_the_database_is_back(signed_in):
    with database_down():
        assert signed_in.get("/").status_code == 503

    assert signed_in.get("/").status_code == 200
    assert signed_in.get("/api/v1/requests/").status_code == 200
