from django.db import migrations


class Migration(migrations.Migration):
    """Joins two lines of migrations made side by side: accounts' origin and the outbox."""

    dependencies = [
        ("vending", "0030_notification_outbox"),
        ("vending", "0060_account_origin"),
    ]

    operations = []
