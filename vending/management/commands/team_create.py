from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vending.errors import DomainError
from vending.management.commands._actor import domain_error
from vending.services.teams import team_create


class Command(BaseCommand):
    help = "Create a team with its leads (an operator action, recorded in the audit trail)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--lead", dest="leads", action="append", default=[])
        parser.add_argument(
            "--idp-group",
            default="",
            help="the team's group in the identity provider (IAM Identity Center access); "
            "default: the blueprint's group_template with the slug",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            team = team_create(
                actor=None,
                slug=options["slug"],
                name=options["name"],
                leads=options["leads"],
                idp_group=options["idp_group"],
            )
        except DomainError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(f"Team '{team.slug}' created.")
