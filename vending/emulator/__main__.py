"""``python -m vending.emulator --port 4566``: see :mod:`vending.emulator.cli`."""

import sys

from .cli import main

sys.exit(main())
