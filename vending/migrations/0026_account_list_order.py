# The web accounts list is ordered by name: an index on that order (active accounts
# only, as the list shows) lets a page be read off it instead of sorting every account.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vending", "0025_one_cost_refresh_at_a_time"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="vendedaccount",
            index=models.Index(
                condition=models.Q(("is_active", True)),
                fields=["name", "id"],
                name="account_list_order",
            ),
        ),
    ]
