"""`manage.py iam_policy --role worker|web|bootstrap|caller`: the least-privilege IAM
policy of one of the portal's own identities, as JSON on standard output.

Rendered from the table of `vending.aws.permissions` (every AWS call the gateway makes,
by capability); no AWS call is made, so it can be run before the role exists.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.aws.permissions import CALLER, ROLES, WORKER, capabilities_for
from vending.compliance.role_policy import RolePolicyError, Scope, role_policy


class Command(BaseCommand):
    help = "Print the minimal IAM policy of the worker's, the web's or another portal role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--role",
            choices=ROLES,
            default=WORKER,
            help="worker: creates and changes accounts and the organization; web: reads "
            "only; bootstrap: creating a new organization; caller: the identity that "
            "assumes VENDING_ORG_ROLE_ARN",
        )
        parser.add_argument(
            "--organization-id", default="", help="o-...: scope ARNs to this organization"
        )
        parser.add_argument(
            "--account-id",
            default="",
            help="the management account's id: scope ARNs to it (the org's resources' ARNs "
            "carry it)",
        )
        parser.add_argument("--partition", default="aws", help="aws, aws-cn, aws-us-gov")
        parser.add_argument(
            "--summary",
            action="store_true",
            help="list the capabilities and the gateway methods behind each action instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if options["summary"]:
            self._summary(role)
            return
        if role == CALLER and not settings.VENDING_ORG_ROLE_ARN:
            raise CommandError(
                "VENDING_ORG_ROLE_ARN is not set: the processes call AWS with their own "
                "identity, which needs the worker or web policy, and assume no role"
            )
        try:
            scope = Scope.build(
                partition=options["partition"],
                account_id=options["account_id"],
                organization_id=options["organization_id"],
                assume_role_arn=settings.VENDING_ORG_ROLE_ARN,
            )
        except RolePolicyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(role_policy(role, scope), indent=2))

    def _summary(self, role: str) -> None:
        for capability in capabilities_for(role):
            self.stdout.write(f"{capability.sid}: {capability.summary}")
            for action, methods in sorted(capability.uses.items()):
                self.stdout.write(f"  {action:50} {', '.join(methods)}")
