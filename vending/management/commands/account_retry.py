from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.choices import Environment
from vending.errors import DomainError
from vending.management.commands._actor import domain_error, user_named
from vending.selectors.requests import account_request_get_for
from vending.services.provisioning import provisioning_account_retry


class Command(BaseCommand):
    help = (
        "Retry one account of a request as a portal admin: a failed account goes back to "
        "work, a stalled one is queued again now (as the web page's 'Retry now')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("request_id", type=int)
        parser.add_argument("environment", choices=Environment.values)
        parser.add_argument("--as", dest="username", required=True, help="the admin")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = user_named(options["username"])
        request = account_request_get_for(user=admin, pk=options["request_id"])
        if request is None:
            raise CommandError(
                f"No request #{options['request_id']} that {admin.username} can see."
            )
        account = request.accounts.filter(environment=options["environment"]).first()
        if account is None:
            raise CommandError(f"Request #{request.pk} has no {options['environment']} account.")
        try:
            provisioning_account_retry(account=account, actor=admin)
        except DomainError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(f"{account.name} is queued again; follow it with request_status.")
