"""Accounts imported before `org import` set `completed_at` were skipped by every drift
scan (it watches ready accounts from when they were settled): settle them as of their
import."""

from django.db import migrations
from django.db.models import F


def settle_imported(apps, schema_editor):
    VendedAccount = apps.get_model("vending", "VendedAccount")
    VendedAccount.objects.filter(
        origin="imported", status="ready", completed_at__isnull=True
    ).update(completed_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("vending", "0020_costs")]

    operations = [migrations.RunPython(settle_imported, migrations.RunPython.noop)]
