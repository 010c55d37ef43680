from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.system.harness import free_port
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver answering 204, up."""
    r = Receiver(port=0).start()
    yield r
    r.stop()


@pytest.fixture
def receiver_down() -> Iterator[Receiver]:
    """A receiver whose port nobody listens on yet (`.start()` brings it up there)."""
    r = Receiver(port=free_port())
    yield r
    r.stop()


@pytest.fixture
def endpoint_for(users):  # type: ignore[no-untyped-def]
    from vending.services.webhooks import webhook_endpoint_create

    def make(url: str, events: list[str] | None = None):  # type: ignore[no-untyped-def]
        return webhook_endpoint_create(
            actor=users["admin"],
            name="platform",
            url=url,
            events=events or ["approval_needed", "request_completed", "request_rejected"],
        )

    return make
