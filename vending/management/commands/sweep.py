from typing import Any

from django.core.management.base import BaseCommand

from vending.services.sweeper import provisioning_sweep


class Command(BaseCommand):
    help = "Re-enqueue provisioning work left behind (what the periodic sweeper does)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = provisioning_sweep()
        self.stdout.write(
            f"re-enqueued {len(result.accounts_requeued)} account(s), "
            f"started {len(result.requests_started)} request(s), "
            f"settled {len(result.requests_settled)} request(s), "
            f"freed {result.slots_reclaimed} creation slot(s)"
        )
