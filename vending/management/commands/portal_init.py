import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.aws import AwsError, TransientAwsError, get_gateway
from vending.errors import DomainError
from vending.management.commands._actor import domain_error
from vending.metrics.multiprocess import metrics_files_prune
from vending.services.demo import (
    DEMO_STANDALONE,
    demo_costs_enable,
    demo_identity_center_setup,
    demo_refusal,
    demo_setup,
    demo_standalone_account,
)
from vending.services.org_blueprint import org_blueprint_apply


class Command(BaseCommand):
    help = (
        "Prepare the portal to serve: migrate, wait for the Organizations endpoint, and "
        "with the local emulator apply the org blueprint and create the demo users."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait", type=float, default=60, help="seconds to wait for the AWS endpoint"
        )
        parser.add_argument("--skip-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        # The web starts after this: the metrics files of finished processes go first.
        metrics_files_prune()
        if settings.VENDING_EMULATOR and demo_refusal():
            # Before anything changes: demo mode with debug off is a production host
            # about to get users whose passwords are in the README.
            raise CommandError(f"Refusing demo mode: {demo_refusal()}")
        if not options["skip_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if not settings.VENDING_EMULATOR:
            return
        deadline = time.monotonic() + options["wait"]
        while True:
            try:
                result = org_blueprint_apply(gateway=get_gateway())
                break
            except TransientAwsError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"The Organizations endpoint did not answer: {exc}") from exc
                time.sleep(0.5)
            except AwsError as exc:
                raise CommandError(f"Could not bootstrap the demo organization: {exc}") from exc
        for change in result.applied:
            self.stdout.write(f"  org: {change.summary} {change.target}".rstrip())
        endpoint_url = get_gateway().endpoint_url()
        try:
            demo_setup()
            outside = demo_standalone_account(endpoint_url=endpoint_url)
        except DomainError as exc:
            raise domain_error(exc) from exc
        except AwsError as exc:
            raise CommandError(f"Could not make the demo's standalone account: {exc}") from exc
        try:
            demo_costs_enable(endpoint_url=endpoint_url)
        except (DomainError, AwsError) as exc:
            # The spend charts stay empty; nothing else depends on it.
            self.stderr.write(f"The emulator does not report demo spend: {exc}")
        try:
            for made in demo_identity_center_setup():
                self.stdout.write(f"  identity center: {made}")
        except DomainError as exc:
            raise domain_error(exc) from exc
        except AwsError as exc:
            raise CommandError(f"Could not set up Identity Center in the emulator: {exc}") from exc
        self.stdout.write("Demo organization and users are ready (see README).")
        if outside != "member":
            self.stdout.write(
                f"  account {DEMO_STANDALONE.account_id} ({DEMO_STANDALONE.email}) is outside "
                "the organization, ready to invite (README: Inviting an existing account)."
            )
