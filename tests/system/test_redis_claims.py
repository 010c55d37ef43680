"""Two test runs at once on the shared Redis: each uses a database it claimed, and never
empties one it did not claim (tests/system/redis_server.py)."""

from __future__ import annotations

import pytest
import redis

from tests.system.harness import require_service
from tests.system.redis_server import CLAIM_KEY, claimed_database

pytestmark = pytest.mark.services


def _index(url: str) -> int:
    return int(url.rsplit("/", 1)[1])


def test_claims_at_once_get_different_databases_and_leave_each_other_alone():
    require_service("Redis", "127.0.0.1", 6379)
    with claimed_database() as first:
        other = redis.Redis.from_url(first)
        with claimed_database() as second:
            assert _index(second) != _index(first)
            assert 1 <= _index(second) <= 15
            other.set("queued-by-the-other-run", "1")
        # The second claim was released and its database emptied; the first's is intact.
        assert other.get("queued-by-the-other-run") == b"1"


def test_a_release_never_frees_a_claim_someone_else_holds_now():
    require_service("Redis", "127.0.0.1", 6379)
    claims = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    with claimed_database() as url:
        key = CLAIM_KEY.format(index=_index(url))
        # Our claim expired and another run claimed the index meanwhile.
        claims.set(key, "another-run", ex=60)
    try:
        assert claims.get(key) == b"another-run"
    finally:
        claims.delete(key)
