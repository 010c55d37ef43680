"""`manage.py request_invite`: invite an existing AWS account into the organization for a
team (a request of kind `invite`, as `POST /api/v1/requests/` takes it)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.choices import ComplianceClass, Environment, RequestKind
from vending.errors import DomainError
from vending.management.commands._actor import domain_error, request_input, submitted, user_named
from vending.selectors.invite_plans import invite_plan
from vending.services.lifecycle_requests import account_invite_request_create


class Command(BaseCommand):
    help = (
        "Invite an existing AWS account (by id or root e-mail) for a team, as one of its "
        "leads; it then waits for approval. --preview shows where it goes and when the "
        "invitation can be sent (AWS allows 20 a day), without submitting."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="the lead's username")
        parser.add_argument("--team", required=True, help="team slug")
        parser.add_argument(
            "--class", dest="compliance_class", required=True, choices=ComplianceClass.values
        )
        parser.add_argument("--env", dest="environment", required=True, choices=Environment.values)
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--account-id", help="the account's 12-digit id")
        which.add_argument("--email", help="the account's root e-mail")
        parser.add_argument("--justification", help="why (required unless --preview)")
        parser.add_argument("--preview", action="store_true", help="show the plan only")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        if not options["preview"] and not (options["justification"] or "").strip():
            raise CommandError("Say why the account is needed: --justification.")
        data = request_input(
            {
                "kind": RequestKind.INVITE,
                "team": options["team"],
                "compliance_class": options["compliance_class"],
                "environment": options["environment"],
                "account_id": options["account_id"],
                "email": options["email"],
                "justification": options["justification"] or "(preview)",
            }
        )
        target = {"account_id": data.get("account_id", ""), "email": data.get("email", "")}
        try:
            if options["preview"]:
                plan = invite_plan(
                    user=user,
                    team=data["team"],
                    compliance_class=data["compliance_class"],
                    environment=data["environment"],
                    **target,
                )
                self.stdout.write(
                    f"Invitation of {plan.account_id or plan.email} for team {plan.team} "
                    f"({plan.environment}, {plan.compliance_class}) -> {plan.ou_path}; "
                    f"{plan.approvals_required} approval(s) needed; can be sent "
                    f"{plan.expected_send_at:%Y-%m-%d %H:%M %Z}."
                )
                return
            request = account_invite_request_create(
                requester=user,
                team=data["team"],
                compliance_class=data["compliance_class"],
                environment=data["environment"],
                justification=data["justification"],
                **target,
            )
        except DomainError as exc:
            raise domain_error(exc) from exc
        self.stdout.write(submitted(request))
        account = request.target_account
        assert account is not None
        self.stdout.write(
            f"  {account.environment}: {account.account_id or account.email} "
            f"-> {account.target_ou_path} once it accepts"
        )
