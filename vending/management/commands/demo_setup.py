from typing import Any

from django.core.management.base import BaseCommand

from vending.errors import DomainError
from vending.management.commands._actor import domain_error
from vending.services.demo import demo_setup


class Command(BaseCommand):
    help = "Create the demo team and users (only against the local emulator)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            users = demo_setup()
        except DomainError as exc:
            raise domain_error(exc) from exc
        for demo in users:
            self.stdout.write(f"  {demo.username:10} / {demo.password:20} {demo.role}")
