# Who a budget's notifications e-mail, as last set in AWS. Existing budgets start with
# none recorded: the first recipients check makes their notifications again for the
# people the portal names now (services/account_setup.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vending", "0026_account_list_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="vendedaccount",
            name="budget_emails",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
