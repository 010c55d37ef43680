"""System tests must fail, never skip, under CI when PostgreSQL or Redis is missing."""

import pytest

from tests.system.harness import free_port, require_service


def test_missing_service_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide it"):
        require_service("PostgreSQL", "127.0.0.1", free_port())


def test_missing_service_skips_loudly_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="SKIPPED LOUDLY: Redis is not reachable"):
        require_service("Redis", "127.0.0.1", free_port())
