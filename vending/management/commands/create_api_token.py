from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from vending.errors import DomainError
from vending.management.commands._actor import domain_error, user_named
from vending.services.api_tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME (for automation). Prints the secret alone on "
        "standard output, once: it is stored only as a digest. What the token is goes "
        "to standard error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", help="What will use the token (default: 'command line' and the time)."
        )
        parser.add_argument(
            "--expires-in",
            type=int,
            metavar="DAYS",
            help="Days until it expires (default VENDING_API_TOKEN_DEFAULT_DAYS, at most "
            "VENDING_API_TOKEN_MAX_DAYS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        name = options["name"] or f"command line {timezone.now():%Y-%m-%d %H:%M:%S} UTC"
        try:
            new = api_token_create(user=user, name=name, expires_in_days=options["expires_in"])
        except DomainError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(new.secret)
        self.stderr.write(
            f"API token {new.token.name!r} ({new.token.prefix}…) for {user.get_username()}, "
            f"expires {new.token.expires_at:%Y-%m-%d %H:%M} UTC. The secret above is shown "
            "once; revoke the token on the API tokens page or in the Django admin."
        )
