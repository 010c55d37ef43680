"""``manage.py emulator``: the local Organizations emulator, same options as
``python -m vending.emulator`` (see :mod:`vending.emulator.cli`)."""

import argparse
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vending.emulator.cli import add_arguments, serve, settings_from
from vending.emulator.config import ConfigError


class Command(BaseCommand):
    help = "Run the local AWS Organizations emulator (moto with AWS's rules and faults)."
    # The emulator needs neither the database nor the portal's apps to be healthy.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            settings = settings_from(options, os.environ)
        except ConfigError as exc:
            raise CommandError(str(exc)) from exc
        serve(settings, self.stdout.write)
