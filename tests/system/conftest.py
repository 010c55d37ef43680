from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.system.harness import Portal, broker, emulator_process, postgres_database


@pytest.fixture
def broker_kind(request: pytest.FixtureRequest) -> str:
    """Redis, unless a test is parametrized over BROKERS (`indirect=True`)."""
    return str(getattr(request, "param", "redis"))


@pytest.fixture
def make_portal(tmp_path: Path, broker_kind: str) -> Iterator[Callable[..., tuple[Portal, object]]]:
    """Start an emulator (with the given options) and configure a portal around it."""
    with ExitStack() as stack:

        def make(
            faults: dict[str, object] | None = None,
            broker_url: str | None = None,
            queue: str = "celery",
            **emulator_options: object,
        ) -> tuple[Portal, object]:
            database_url = stack.enter_context(postgres_database(migrated=True))
            if broker_url is None:
                broker_url, queue = stack.enter_context(broker(broker_kind))
            emulator = stack.enter_context(emulator_process(tmp_path, **emulator_options))
            portal = Portal(
                tmp_path,
                database_url=database_url,
                broker_url=broker_url,
                aws_url=emulator.url,
                queue=queue,
            )
            stack.callback(portal.stop)
            portal.manage("portal_init")  # migrate, demo org in the emulator, demo users
            if faults:
                emulator.control("/_emulator/config", faults)
                emulator.control("/_emulator/stats/reset", {})
            return portal, emulator

        yield make
