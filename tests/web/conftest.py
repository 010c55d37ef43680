"""Fixtures of the web page tests (shared by the workflow and inventory pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from vending.models import Team


@pytest.fixture
def web_client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    """A browser session signed in as one of the `users` (lead, lead2, approver1, ...)."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def other_team(users: dict[str, Any]) -> Team:
    """Team `payments`, led by lead2 (lead leads `checkout`, the `team` fixture)."""
    team = Team.objects.create(slug="payments", name="Payments")
    team.leads.add(users["lead2"])
    return team


@pytest.fixture(autouse=True)
def _no_cached_services() -> None:
    """The services of an OU are cached for a minute; each test reads its own org."""
    from django.core.cache import cache

    cache.clear()
