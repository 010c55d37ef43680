from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.errors import DomainError
from vending.management.commands._actor import domain_error, user_named
from vending.selectors.requests import account_request_get_for
from vending.services.requests import account_request_approve


class Command(BaseCommand):
    help = "Approve an account request as an approver; the last approval starts provisioning."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("request_id", type=int)
        parser.add_argument("--as", dest="username", required=True, help="the approver")
        parser.add_argument("--comment", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        approver = user_named(options["username"])
        request = account_request_get_for(user=approver, pk=options["request_id"])
        if request is None:
            raise CommandError(
                f"No request #{options['request_id']} that {approver.username} can see."
            )
        try:
            outcome = account_request_approve(
                request=request, approver=approver, comment=options["comment"]
            )
        except DomainError as exc:
            raise domain_error(exc) from exc
        if outcome.provisioning_started:
            self.stdout.write(f"Request #{request.pk} approved: provisioning started.")
        else:
            self.stdout.write(
                f"Approval recorded; request #{request.pk} needs "
                f"{outcome.approvals_missing} more approval(s) from other approvers."
            )
