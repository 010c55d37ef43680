"""Process plumbing for the Celery pool (portal/celery_app.py)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def pool_process_exits_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (prctl
    PR_SET_PDEATHSIG), so a pool process outside its parent's process group is not left
    running when the worker's main process is killed. Elsewhere it does nothing."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getppid()
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:
        # The parent died before the request was in place: nobody will send it.
        os.kill(os.getpid(), signal.SIGTERM)
