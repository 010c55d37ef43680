"""Whether the services the portal depends on answer, and which failures mean they do not.

`/healthz` asks nothing of them (the process answers: restart it if not). `/readyz` runs
`readiness()`: the database, the Celery broker and the AWS Organizations endpoint, each
with a short timeout, so a load balancer or Compose sends no traffic to a portal that
could only fail. `unavailable_dependency(exc)` names the dependency an exception says is
unreachable; the web pages and the API turn such an exception into a 503 with
Retry-After instead of a 500 (portal/outage.py, vending/api/errors.py).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import InterfaceError, connection
from django.db import OperationalError as DatabaseError
from kombu.exceptions import OperationalError as BrokerError

# What a 503 asks the client to wait before trying again.
RETRY_AFTER_SECONDS = 10
CHECK_TIMEOUT_SECONDS = 2

DATABASE = "database"
BROKER = "broker"
AWS = "aws"


def unavailable_dependency(exc: BaseException) -> str | None:
    """DATABASE or BROKER when `exc` says that service cannot be reached, else None."""
    if isinstance(exc, DatabaseError | InterfaceError):
        return DATABASE
    if isinstance(exc, BrokerError):
        return BROKER
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return None
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return BROKER
    return None


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    milliseconds: int


def _timed(name: str, probe: object) -> Check:
    started = time.monotonic()
    try:
        detail = probe()  # type: ignore[operator]
        ok = True
    except Exception as exc:  # a readiness probe reports every failure, it never raises
        detail, ok = f"{type(exc).__name__}: {exc}"[:300], False
    return Check(name, ok, str(detail), round((time.monotonic() - started) * 1000))


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def _broker() -> str:
    from portal.celery_app import app

    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_connect_timeout": CHECK_TIMEOUT_SECONDS,
    }
    with app.connection_for_write(transport_options=options) as conn:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT_SECONDS
        )
        return str(conn.transport_cls)


def _aws() -> str:
    from vending.aws import get_gateway

    url = urlsplit(get_gateway().endpoint_url())
    port = url.port or (443 if url.scheme == "https" else 80)
    # A TCP connection, no API call: the probe runs every few seconds and must cost AWS
    # nothing (and need no permission).
    with socket.create_connection((url.hostname or "", port), timeout=CHECK_TIMEOUT_SECONDS):
        return f"{url.scheme}://{url.hostname}:{port}"


def readiness() -> list[Check]:
    return [_timed(DATABASE, _database), _timed(BROKER, _broker), _timed(AWS, _aws)]
