"""The test database, migrated once and copied into every test process.

Each test process (each xdist worker) starts with an empty in-memory SQLite database,
and migrating it costs two seconds of CPU every time. The first process to migrate keeps
a copy, `var/test-db-<key>.sqlite3`, keyed by a digest of every migration file, Django's
version and SQLite's; every later process, in this run or the next, copies that file into
its database (SQLite's backup API: milliseconds) instead of running the migrations. A
changed, added or removed migration changes the key, so a stale copy is never used;
`make clean` removes the copies. Only `migrate` is replaced, and only for SQLite: the
rest of Django's test-database set-up runs as usual.

The same copy ends each transactional test (`django_db(transaction=True)`): Django's
teardown empties every table and then writes the content types and permissions back
(`flush`, then the post_migrate signal), which took 3% of the quick loop's CPU; copying
the template back leaves the same rows for a fifth of that.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = ROOT / "var"


@cache
def template_key() -> str:
    import django
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256(f"{django.__version__} {sqlite3.sqlite_version}".encode())
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key in sorted(loader.disk_migrations):
        module = sys.modules[type(loader.disk_migrations[key]).__module__]
        digest.update(repr(key).encode())
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def migrate_from_template() -> Iterator[None]:
    """While open, the first `migrate` (Django's test-database creation runs it) copies
    the template instead (and makes the template the first time); any later one, a
    test's own, migrates."""
    from django.core import management

    run = management.call_command
    management.call_command = _from_template(run, restore=lambda: _put_back(run))
    try:
        yield
    finally:
        _put_back(run)


def _put_back(run: Callable[..., Any]) -> None:
    from django.core import management

    management.call_command = run


def _from_template(run: Callable[..., Any], *, restore: Callable[[], None]) -> Callable[..., Any]:
    def call_command(name: str, *args: Any, **options: Any) -> Any:
        from django.db import connections

        connection = connections[options.get("database", "default")]
        if name != "migrate" or connection.vendor != "sqlite":
            return run(name, *args, **options)
        restore()
        template = template_path()
        connection.ensure_connection()
        if template.exists():
            with closing(sqlite3.connect(template)) as source:
                source.backup(connection.connection)
            return None
        result = run(name, *args, **options)
        _keep(connection.connection, template)
        return result

    return call_command


def template_path() -> Path:
    return TEMPLATE_DIR / f"test-db-{template_key()}.sqlite3"


def restore_template(connection: Any) -> bool:
    """Copy the template back into `connection`'s SQLite database, as a transactional
    test's teardown would leave it; False where that cannot be done (another database,
    no template yet, or another connection holding the database), for a flush instead."""
    template = template_path()
    if connection.vendor != "sqlite" or connection.in_atomic_block or not template.exists():
        return False
    connection.ensure_connection()
    try:
        with closing(sqlite3.connect(template)) as source:
            source.backup(connection.connection)
    except sqlite3.OperationalError:
        return False
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the template's ids, which a flush would renumber
    return True


def fixture_teardown_from_template() -> Callable[[], None]:
    """Make TransactionTestCase end by `restore_template` where it can; returns the undo."""
    from django.db import connections
    from django.test import TransactionTestCase

    flush = getattr(TransactionTestCase, "_fixture_teardown")  # private: not in the stubs

    def _fixture_teardown(self: TransactionTestCase) -> None:
        names = self._databases_names(include_mirrors=False)  # type: ignore[attr-defined]
        if not all(restore_template(connections[name]) for name in names):
            flush(self)

    setattr(TransactionTestCase, "_fixture_teardown", _fixture_teardown)
    return lambda: setattr(TransactionTestCase, "_fixture_teardown", flush)


def _keep(database: sqlite3.Connection, template: Path) -> None:
    """Write the migrated database to `template` atomically (two processes may race)."""
    template.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=template.parent, suffix=".partial")
    os.close(descriptor)
    try:
        with closing(sqlite3.connect(partial)) as copy:
            database.backup(copy)
        os.replace(partial, template)
    finally:
        Path(partial).unlink(missing_ok=True)
