"""Fixtures of the web page tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.web.helpers import SCRIPT as XSS
from tests.web.helpers import submit as _submit
from vending.choices import AccountStatus, DriftKind
from vending.models import DriftFinding, DriftScan


@pytest.fixture
def web_client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    """A browser session signed in as one of the `users` (lead, lead2, approver1, ...)."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.fixture(autouse=True)
def _no_cached_services() -> None:
    """The services of an OU are cached for a minute; each test reads its own org."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def fleet(users, team, other_team):
    """checkout: general dev (ready, 111111111111) + prod; payments: pci qa (222222222222)."""
    general = _submit(users, team, envs=("dev", "prod"))
    dev = general.accounts.get(environment="dev")
    dev.account_id, dev.status = "111111111111", AccountStatus.READY
    dev.save()
    pci = _submit(users, other_team, cls="pci", envs=("qa",), who="lead2")
    qa = pci.accounts.get()
    qa.account_id, qa.status = "222222222222", AccountStatus.READY
    qa.save()
    return {"general": general, "pci": pci, "dev": dev, "qa": qa}


@pytest.fixture
def drift(db):
    now = timezone.now()
    DriftScan.objects.create(started_at=now - timedelta(minutes=3), finished_at=now, findings=2)
    seen_once = DriftFinding.objects.create(
        key="account_unknown:444444444444",
        kind=DriftKind.ACCOUNT_UNKNOWN,
        target="Root",
        detail="account 444444444444 (stray) was not created by a request",
        first_seen=now,
        last_seen=now,
    )
    reported = DriftFinding.objects.create(
        key="attachment_missing:HipaaOU",
        kind=DriftKind.ATTACHMENT_MISSING,
        target="HipaaOU",
        detail=f"HipaaOU: vending-class-hipaa detached {XSS}",
        first_seen=now - timedelta(hours=1),
        last_seen=now - timedelta(minutes=20),
        times_seen=4,
    )
    DriftFinding.objects.create(
        key="gone",
        kind=DriftKind.OU_MISSING,
        target="OldOU",
        detail="resolved long ago",
        first_seen=now - timedelta(days=2),
        last_seen=now - timedelta(days=2),
        resolved_at=now - timedelta(days=1),
    )
    return {"reported": reported, "seen_once": seen_once}
