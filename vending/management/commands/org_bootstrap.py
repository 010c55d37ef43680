from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vending.aws import AwsError, get_gateway
from vending.services.org_bootstrap import org_bootstrap


class Command(BaseCommand):
    help = "Create the portal's OUs and guardrail SCPs in the organization (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = org_bootstrap(gateway=get_gateway())
        except AwsError as exc:
            raise CommandError(f"Could not bootstrap the organization: {exc}") from exc
        for change in report.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(
            "Organization is up to date."
            if not report.changes
            else f"{len(report.changes)} change(s) made."
        )
