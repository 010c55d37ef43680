"""A trigram index for the accounts list's search, on PostgreSQL.

The search (`vending.selectors.accounts.search_matches`) looks for its text anywhere in
an account's name, e-mail, account id, cost centre and tags: `LIKE '%text%'`, which a
B-tree index cannot answer, so every search read the whole accounts table. A GIN index
of trigrams (the `pg_trgm` extension, shipped with PostgreSQL and offered by the managed
services) answers each of those conditions, on exactly the expressions Django writes for
them, so a search reads the accounts it finds.

Other databases keep the plain search. So does a PostgreSQL server where the portal's
database user may not create the extension: the migration says so and goes on, and
`manage.py check --database default` warns (vending.W002, vending/checks.py) until an administrator runs
`CREATE EXTENSION pg_trgm` and `manage.py migrate vending 0030 && manage.py migrate`.
"""

from __future__ import annotations

import sys

from django.db import DatabaseError, migrations, transaction

INDEX = "account_search"
CREATE = f"""
CREATE INDEX IF NOT EXISTS {INDEX} ON vending_vendedaccount USING gin (
    UPPER(name::text) gin_trgm_ops,
    UPPER(email::text) gin_trgm_ops,
    (account_id::text) gin_trgm_ops,
    UPPER(cost_centre::text) gin_trgm_ops,
    UPPER(tags::text) gin_trgm_ops
)
"""


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(
            f"\n  The accounts search is not indexed: PostgreSQL refused the pg_trgm "
            f"extension ({str(exc).strip()}). Searches still work, reading every account.",
            file=sys.stderr,
        )
        return
    schema_editor.execute(CREATE)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("vending", "0030_creation_history_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
