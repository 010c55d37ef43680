# One cost refresh under way at a time (services/costs.py `_claim`). Existing refreshes
# are added as finished (null): a default of True would make them collide.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vending", "0024_audit_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="costrefresh",
            name="under_way",
            field=models.BooleanField(default=None, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="costrefresh",
            name="under_way",
            field=models.BooleanField(default=True, editable=False, null=True),
        ),
        migrations.AddConstraint(
            model_name="costrefresh",
            constraint=models.UniqueConstraint(
                fields=("under_way",), name="one_cost_refresh_under_way"
            ),
        ),
    ]
