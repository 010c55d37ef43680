from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.choices import ComplianceClass, ContactType, Environment
from vending.errors import DomainError
from vending.management.commands._actor import domain_error, iso_date, submitted, user_named
from vending.selectors.request_metadata import MetadataInput
from vending.selectors.teams import team_get
from vending.services.requests import account_request_create


class Command(BaseCommand):
    help = "Submit an account request as a team lead (it then waits for approval)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="the lead's username")
        parser.add_argument("--team", required=True, help="team slug")
        parser.add_argument(
            "--class", dest="compliance_class", required=True, choices=ComplianceClass.values
        )
        parser.add_argument(
            "--env",
            dest="environments",
            action="append",
            required=True,
            choices=Environment.values,
            help="repeat for each environment",
        )
        parser.add_argument("--justification", required=True)
        parser.add_argument("--owner", default="", help="a lead of the team (default: --as)")
        parser.add_argument("--cost-centre", default="", help="default: the team's slug")
        parser.add_argument(
            "--tag", dest="tags", action="append", default=[], help="KEY=VALUE; repeat"
        )
        parser.add_argument(
            "--contact",
            dest="contacts",
            action="append",
            nargs=5,
            default=[],
            metavar=("TYPE", "NAME", "TITLE", "EMAIL", "PHONE"),
            help=f"an alternate contact, TYPE one of {', '.join(ContactType.values)}; repeat",
        )
        parser.add_argument("--budget", default=None, help="monthly budget per account, USD")
        parser.add_argument(
            "--expires-on",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="a lease: the portal decommissions the accounts on this day unless extended",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        team = team_get(slug=options["team"])
        if team is None:
            raise CommandError(f"No team with slug '{options['team']}'.")
        try:
            request = account_request_create(
                requester=user,
                team=team,
                compliance_class=options["compliance_class"],
                environments=options["environments"],
                justification=options["justification"],
                metadata=_metadata(options),
                expires_on=options["expires_on"],
            )
        except DomainError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(submitted(request))
        if request.expires_on:
            self.stdout.write(f"  Lease: the accounts are decommissioned on {request.expires_on}.")
        for account in request.accounts.all():
            self.stdout.write(
                f"  {account.environment}: {account.name} <{account.email}> "
                f"-> {account.target_ou_path}"
            )


def _metadata(options: dict[str, Any]) -> MetadataInput:
    tags: dict[str, str] = {}
    for given in options["tags"]:
        key, sep, value = given.partition("=")
        if not sep:
            raise CommandError(f"--tag {given!r}: give KEY=VALUE.")
        if key in tags:
            raise CommandError(f"--tag {key!r} is given twice.")
        tags[key] = value
    budget = None
    if options["budget"] is not None:
        try:
            budget = Decimal(options["budget"])
        except InvalidOperation as exc:
            raise CommandError(f"--budget {options['budget']!r}: not an amount.") from exc
    return MetadataInput(
        owner=options["owner"],
        cost_centre=options["cost_centre"],
        tags=tags,
        contacts={
            kind: {"name": name, "title": title, "email": email, "phone": phone}
            for kind, name, title, email, phone in options["contacts"]
        },
        budget=budget,
    )
