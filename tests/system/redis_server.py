"""Redis for system tests: a database of the shared server claimed for one use, or a
private `redis-server` that a test may stop and start again.

Two test runs at once (two engineers, or CI beside a developer) must never touch each
other's queues, so no test flushes a database it has not claimed. A claim is a key in
database 0 set with NX and an expiry, so a run that died frees its database by itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SHARED_REDIS = os.environ.get("VENDING_TEST_REDIS", "redis://127.0.0.1:6379")
# Database 0 holds the claims; a test uses one of these.
CLAIMABLE = range(1, 16)
CLAIM_KEY = "vending-tests:claim:{index}"
# Longer than any test (pytest's timeout is 300 s); refreshed while the claim is held
# would need a thread, and a dead run's database is free again after this.
CLAIM_SECONDS = 1800
# Deletes the claim only if it is still ours (it may have expired and been re-claimed).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def _base_url() -> str:
    # Tolerate a configured URL that names a database: the claim decides which one.
    scheme, _, rest = SHARED_REDIS.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@contextmanager
def claimed_database(*, wait: float = 60) -> Iterator[str]:
    """A database index of the shared Redis no one else uses until this exits; its URL.

    Empty on entry and flushed on exit; only this claim's database is ever flushed.
    """
    import redis

    base = _base_url()
    claims = redis.Redis.from_url(base + "/0")
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    index = None
    while index is None:
        index = next(
            (
                i
                for i in CLAIMABLE
                if claims.set(CLAIM_KEY.format(index=i), token, nx=True, ex=CLAIM_SECONDS)
            ),
            None,
        )
        if index is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"every Redis database {CLAIMABLE} is claimed; waited {wait}s")
            time.sleep(1)
    url = f"{base}/{index}"
    database = redis.Redis.from_url(url)
    try:
        database.flushdb()  # left over by a run that died holding the claim
        yield url
    finally:
        database.flushdb()
        claims.eval(_RELEASE, 1, CLAIM_KEY.format(index=index), token)


def redis_server_binary() -> str:
    """The Debian `redis-server`; a loud skip without it, a failure under CI."""
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).is_file():
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must provide it", pytrace=False)
        pytest.skip(f"SKIPPED LOUDLY: {message}")
    return found


class RedisServer:
    """A private redis-server on 127.0.0.1:port, with its data (append-only file) in
    `folder`, so what was queued before a stop is there after a start, as in production
    (docker-compose.yml runs Redis with --appendonly yes)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        assert self.process is None, "already running"
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.folder), "--appendonly", "yes", "--save", "",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        self._wait_answering()

    def stop(self) -> None:
        """SIGTERM, as a restart does: Redis writes its append-only file and exits."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def _wait_answering(self) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / "redis.log").read_text()[-2000:]
                raise AssertionError(f"redis-server exited: {log}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not answer within 20 s")
            time.sleep(0.1)


@contextmanager
def redis_server(folder: Path, port: int) -> Iterator[RedisServer]:
    server = RedisServer(folder, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
