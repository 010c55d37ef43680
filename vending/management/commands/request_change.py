"""`manage.py request_change`: a request about an account the portal holds (change_class,
decommission, extend), as `POST /api/v1/requests/` takes it; `--preview` shows what it
would do (the services gained and lost, where it ends, when) without submitting."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.aws import AwsError
from vending.choices import KINDS_ON_ACCOUNT, ComplianceClass
from vending.errors import DomainError
from vending.management.commands._actor import (
    domain_error,
    iso_date,
    request_input,
    submitted,
    user_named,
)
from vending.selectors.lifecycle_plans import LifecyclePreview, lifecycle_preview_for
from vending.services.lifecycle_requests import account_change_request_create


class Command(BaseCommand):
    help = (
        "File a request about an account as a lead of its team: change_class (--class), "
        "decommission, or extend (--expires-on); it then waits for approval."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="the lead's username")
        parser.add_argument("--kind", required=True, choices=sorted(KINDS_ON_ACCOUNT))
        parser.add_argument(
            "--account-id", "--account", dest="account_id", required=True, help="12 digits"
        )
        parser.add_argument(
            "--class",
            dest="compliance_class",
            choices=ComplianceClass.values,
            help="change_class: the new class",
        )
        parser.add_argument(
            "--expires-on", type=iso_date, metavar="YYYY-MM-DD", help="extend: the lease's new end"
        )
        parser.add_argument("--justification", help="why (required unless --preview)")
        parser.add_argument("--preview", action="store_true", help="show what it would do only")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options["username"])
        if not options["preview"] and not (options["justification"] or "").strip():
            raise CommandError("Say why: --justification.")
        expires_on = options["expires_on"]
        data = request_input(
            {
                "kind": options["kind"],
                "account_id": options["account_id"],
                "compliance_class": options["compliance_class"],
                "expires_on": expires_on.isoformat() if expires_on else None,
                "justification": options["justification"] or "(preview)",
            }
        )
        fields = {
            "kind": data["kind"],
            "account_id": data["account_id"],
            "compliance_class": data.get("compliance_class", ""),
            "expires_on": data.get("expires_on"),
        }
        try:
            if options["preview"]:
                self._preview(lifecycle_preview_for(user=user, **fields))
                return
            request = account_change_request_create(
                requester=user, justification=data["justification"], **fields
            )
        except DomainError as exc:
            raise domain_error(exc) from exc
        except AwsError as exc:
            raise CommandError(f"AWS did not answer: {exc}") from exc
        self.stdout.write(submitted(request))
        self.stdout.write(f"  {request.get_kind_display()} of account {data['account_id']}")

    def _preview(self, preview: LifecyclePreview) -> None:
        plan = preview.plan
        account = plan.account
        self.stdout.write(
            f"{plan.kind} of {account.account_id} ({account.name}, team {plan.team}, "
            f"{account.environment or '-'}, {account.origin}): {account.target_ou_path} -> "
            f"{plan.ou_path}; {plan.approvals_required} approval(s) needed."
        )
        if plan.ending:
            when = f", expected on {preview.expected_on}" if preview.expected_on else ""
            self.stdout.write(f"  Ends {plan.ending}{when}. {preview.reopen_note}".rstrip())
        if plan.expires_on:
            self.stdout.write(f"  Lease: {account.expires_on} -> {plan.expires_on}.")
        for title, changes in (("Gains", preview.gained), ("Loses", preview.lost)):
            for change in changes:
                self.stdout.write(f"  {title} {change.prefix}: {change.before} -> {change.after}")
        if preview.services_note:
            self.stdout.write(f"  {preview.services_note}")
