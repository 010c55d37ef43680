import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.choices import REQUEST_TERMINAL, RequestStatus
from vending.models import AccountRequest


class Command(BaseCommand):
    help = "Show a request's status and each account's progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("request_id", type=int)
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait up to this long for the request to finish (completed/failed/...)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deadline = time.monotonic() + options["wait"]
        while True:
            try:
                request = AccountRequest.objects.select_related("team").get(
                    pk=options["request_id"]
                )
            except AccountRequest.DoesNotExist as exc:
                raise CommandError(f"No request #{options['request_id']}.") from exc
            finished = request.status in REQUEST_TERMINAL or request.status == RequestStatus.FAILED
            if finished or time.monotonic() >= deadline:
                break
            time.sleep(1)
        accounts = list(request.accounts.order_by("id"))
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": request.pk,
                        "team": request.team.slug,
                        "compliance_class": request.compliance_class,
                        "status": request.status,
                        "approvals_required": request.approvals_required,
                        "approvals": request.approvals.count(),
                        "accounts": [
                            {
                                "environment": a.environment,
                                "name": a.name,
                                "email": a.email,
                                "account_id": a.account_id,
                                "ou_path": a.target_ou_path,
                                "status": a.status,
                                "failure_reason": a.failure_reason or None,
                            }
                            for a in accounts
                        ],
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"Request #{request.pk} ({request.team.slug}, "
            f"{request.get_compliance_class_display()}): "
            f"{request.get_status_display()}, approvals "
            f"{request.approvals.count()}/{request.approvals_required}"
        )
        for a in accounts:
            line = f"  {a.environment:5} {a.name:30} {a.get_status_display():9}"
            if a.account_id:
                line += f" {a.account_id} in {a.target_ou_path}"
            if a.failure_reason:
                line += f"\n        {a.failure_reason}"
            self.stdout.write(line)
        if options["wait"] and not (
            request.status in REQUEST_TERMINAL or request.status == RequestStatus.FAILED
        ):
            raise CommandError(f"Request #{request.pk} did not finish within {options['wait']}s.")
