from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.system.harness import Portal, emulator_process, postgres_database, redis_broker


@pytest.fixture
def make_portal(tmp_path: Path) -> Iterator[Callable[..., tuple[Portal, object]]]:
    """Start an emulator (with the given options) and configure a portal around it."""
    with ExitStack() as stack:

        def make(
            faults: dict[str, object] | None = None,
            broker_url: str | None = None,
            **emulator_options: object,
        ) -> tuple[Portal, object]:
            database_url = stack.enter_context(postgres_database())
            broker_url = broker_url or stack.enter_context(redis_broker())
            emulator = stack.enter_context(emulator_process(tmp_path, **emulator_options))
            portal = Portal(
                tmp_path, database_url=database_url, broker_url=broker_url, aws_url=emulator.url
            )
            stack.callback(portal.stop)
            portal.manage("portal_init")  # migrate, demo org in the emulator, demo users
            if faults:
                emulator.control("/_emulator/config", faults)
                emulator.control("/_emulator/stats/reset", {})
            return portal, emulator

        yield make
