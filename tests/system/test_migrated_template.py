"""The system tests' PostgreSQL databases are copies of one migrated once
(tests/system/harness.py, `postgres_database(migrated=True)`): a copy has every
migration applied, and copies are each their own."""

from __future__ import annotations

import pytest

from tests.system.harness import Portal, postgres_database

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]


def test_a_copy_has_every_migration_applied_and_is_its_own(tmp_path):
    with postgres_database(migrated=True) as first, postgres_database(migrated=True) as second:
        portals = [
            Portal(tmp_path, database_url=url, broker_url="memory://", aws_url="http://127.0.0.1:9")
            for url in (first, second)
        ]
        # `migrate --check` exits non-zero when any migration is unapplied.
        portals[0].manage("migrate", "--check")
        portals[0].sql("CREATE TABLE made_in_the_first_copy (id int)")
        table = "SELECT to_regclass('made_in_the_first_copy') IS NOT NULL"
        assert portals[0].sql(table) == [(True,)]
        assert portals[1].sql(table) == [(False,)]
