from django.db import migrations


class Migration(migrations.Migration):
    """The lease covers every step of an account's provisioning, not only CreateAccount."""

    dependencies = [
        ("vending", "0006_provisioning_at_the_limit"),
    ]

    operations = [
        migrations.RenameField(
            model_name="vendedaccount",
            old_name="create_lease_until",
            new_name="lease_until",
        ),
    ]
