from django.db import migrations


class Migration(migrations.Migration):
    """A fixed point after accounts' origin and the outbox (later migrations follow it).

    The migrations stay in one line: on SQLite a field change rebuilds the table from the
    state of its own line, so two lines side by side would drop each other's columns
    when unapplied.
    """

    dependencies = [("vending", "0060_account_origin")]

    operations = []
