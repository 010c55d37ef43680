"""The accounts of rejected and cancelled requests end `cancelled` (they stayed `pending`).

Each changed account gets the audit row a cancellation writes today, so the trail says
when and why it changed.
"""

from django.db import migrations

CLOSED = ("rejected", "cancelled")


def cancel_accounts_of_closed_requests(apps, schema_editor):
    VendedAccount = apps.get_model("vending", "VendedAccount")
    AuditEvent = apps.get_model("vending", "AuditEvent")
    stale = VendedAccount.objects.filter(request__status__in=CLOSED, status="pending")
    for account in stale.select_related("request"):
        request = account.request
        AuditEvent.objects.create(
            action="account.status_changed",
            team_id=request.team_id,
            request=request,
            account=account,
            from_status="pending",
            to_status="cancelled",
            message=f"Its request was {request.status} (closed by a data migration).",
            data={},
        )
    stale.update(status="cancelled", is_active=False)


def back_to_pending(apps, schema_editor):
    VendedAccount = apps.get_model("vending", "VendedAccount")
    VendedAccount.objects.filter(status="cancelled").update(status="pending")


class Migration(migrations.Migration):
    dependencies = [("vending", "0008_account_progress")]

    operations = [migrations.RunPython(cancel_accounts_of_closed_requests, back_to_pending)]
