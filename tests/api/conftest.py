"""Fixtures of the REST API tests: an APIClient per role, authenticated by an API token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from vending.models import AccountRequest, Team
from vending.services.api_tokens import api_token_create

# Who is who (tests/conftest.py `users`): lead leads `checkout`, lead2 leads `payments`,
# approver1/approver2 are approvers, admin is a portal admin, nobody has no role.
ROLES = ("lead", "lead2", "approver1", "approver2", "admin", "nobody")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    # Throttle counters live in the (process-wide) cache; user ids repeat across tests.
    cache.clear()


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], APIClient]:
    secrets: dict[str, str] = {}

    def make(role: str) -> APIClient:
        if role not in secrets:
            secrets[role] = api_token_create(user=users[role], name="tests").secret
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secrets[role]}")
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def submit(users: dict[str, Any], team: Team) -> Callable[..., AccountRequest]:
    """Submit a request through the service, as the web UI would."""
    from vending.services.requests import account_request_create

    def make(
        cls: str = "general",
        envs: tuple[str, ...] = ("dev",),
        who: str = "lead",
        on: Team | None = None,
    ) -> AccountRequest:
        return account_request_create(
            requester=users[who],
            team=on or team,
            compliance_class=cls,
            environments=list(envs),
            justification="New service",
        )

    return make
