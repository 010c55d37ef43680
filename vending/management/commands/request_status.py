import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.api.serializers import AccountRequestSerializer
from vending.choices import REQUEST_TERMINAL, AccountOrigin, RequestStatus
from vending.management.commands._actor import user_named
from vending.models import AccountRequest, VendedAccount
from vending.roles import OPERATOR
from vending.selectors.requests import account_request_get_for


class Command(BaseCommand):
    help = "Show a request's status and each account's progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("request_id", type=int)
        parser.add_argument(
            "--json", action="store_true", help="the request as GET /api/v1/requests/{id}/ shows it"
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="read as this user (what they may see); default: the operator, who sees all",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="wait up to this long for the request to finish (completed/failed/...)",
        )

    def _read(self, pk: int, username: str | None) -> AccountRequest:
        if username:
            found = account_request_get_for(user=user_named(username), pk=pk)
        else:
            found = account_request_get_for(user=OPERATOR, pk=pk)
        if found is None:
            who = f" that {username} can see" if username else ""
            raise CommandError(f"No request #{pk}{who}.")
        return found

    def handle(self, *args: Any, **options: Any) -> None:
        deadline = time.monotonic() + options["wait"]
        while True:
            request = self._read(options["request_id"], options["username"])
            if _finished(request) or time.monotonic() >= deadline:
                break
            time.sleep(1)
        if options["json"]:
            self.stdout.write(json.dumps(AccountRequestSerializer(request).data, indent=2))
            return
        approvals = len(request.approvals.all())
        self.stdout.write(
            f"Request #{request.pk} ({request.get_kind_display().lower()}, {request.team.slug}, "
            f"{request.get_compliance_class_display()}): "
            f"{request.get_status_display()}, approvals "
            f"{approvals}/{request.approvals_required}"
        )
        if request.decision_reason:
            self.stdout.write(f"  {request.decision_reason}")
        accounts = list(request.accounts.all())
        if request.target_account and request.target_account not in accounts:
            accounts.append(request.target_account)  # a request about an existing account
        for a in accounts:
            self.stdout.write(_account_line(a))
        if options["wait"] and not _finished(request):
            raise CommandError(f"Request #{request.pk} did not finish within {options['wait']}s.")


def _account_line(a: VendedAccount) -> str:
    line = f"  {a.environment:5} {a.name:30} {a.get_status_display():9}"
    if a.account_id:
        line += f" {a.account_id} in {a.target_ou_path}"
    # What its life after creation adds, where it applies.
    facts = [
        "" if a.origin == AccountOrigin.CREATED else f"origin {a.origin}",
        f"handshake {a.handshake_id} {a.handshake_state}" if a.handshake_id else "",
        f"invitation expected out {a.invite_expected_at:%Y-%m-%d %H:%M}"
        if a.invite_expected_at
        else "",
        f"close expected on {a.close_expected_on}" if a.close_expected_on else "",
        f"lease ends {a.expires_on}" if a.expires_on else "",
    ]
    if any(facts):
        line += "\n        " + "; ".join(f for f in facts if f)
    if a.failure_reason:
        line += f"\n        {a.failure_reason}"
    return line


def _finished(request: AccountRequest) -> bool:
    return request.status in REQUEST_TERMINAL or request.status == RequestStatus.FAILED
