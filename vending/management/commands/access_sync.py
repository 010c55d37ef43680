from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.selectors.access import NOT_CONFIGURED, identity_center_enabled
from vending.services.account_access import access_sync_all


class Command(BaseCommand):
    help = (
        "Bring ready accounts' IAM Identity Center access to what the blueprint wants "
        "(queued for the worker): after the blueprint's access section changed, or for "
        "accounts made before the portal managed access."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "account_ids", nargs="*", metavar="ACCOUNT_ID", help="default: every ready account"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not identity_center_enabled():
            raise CommandError(NOT_CONFIGURED)
        wanted = options["account_ids"] or None
        queued = access_sync_all(account_ids=wanted)
        missing = sorted(set(wanted or ()) - set(queued))
        if missing:
            self.stderr.write(f"Not ready accounts of the portal: {', '.join(missing)}")
        self.stdout.write(f"Access sync queued for {len(queued)} account(s).")
