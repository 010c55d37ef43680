"""`make run`'s process manager: honcho, with a stop grace long enough for a warm stop.

honcho sends SIGTERM to every process on Ctrl-C and SIGKILLs what still runs 5 s later
(`honcho.manager.KILL_WAIT`, not configurable from its command line). That is shorter
than the Procfile's own gunicorn --graceful-timeout (10 s), and a Celery worker that
finishes its current tasks, puts back what it holds and stops its pool can take longer
on a busy machine: a SIGKILL there is what leaves a half-stopped worker. So this waits
STOP_GRACE_SECONDS; a clean stop takes a few seconds (tests/system/test_clean_stop.py).

    python -m portal.procfile start --port 8000 web worker beat emulator
"""

from __future__ import annotations

import sys

import honcho.manager
from honcho.command import main

STOP_GRACE_SECONDS = 15

if __name__ == "__main__":
    honcho.manager.KILL_WAIT = STOP_GRACE_SECONDS
    sys.argv[0] = "honcho"
    main()
