"""prometheus-client's multiprocess mode for every process of the portal.

A counter incremented in a Celery worker lives in that worker's memory; the web process
that answers the scrape would never see it. In multiprocess mode each process writes its
counters and histograms to its own memory-mapped files in one folder
(`PROMETHEUS_MULTIPROC_DIR`), and the scrape adds up every file of the folder.

Files are named after the process (`counter_<host>-<pid>.db`). prometheus-client names
them by pid alone; the host is added because the containers of docker-compose.yml share
the folder through a volume and number their processes from 1 each, and two live
processes writing one file would corrupt it.

prometheus-client asks for the folder to be wiped before the processes start. Wiping it
whole while another process of the portal runs (the web starts while a worker is already
up) would unlink that process's open files and lose all it counts from then on; so a
starting process group (the web's `portal_init`, a Celery worker) removes only the files
of its own host's processes that are gone (`metrics_files_prune`). Their counts leave the
totals then, which Prometheus reads as the counter reset that a restart is.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from pathlib import Path

from django.conf import settings
from prometheus_client import values

logger = logging.getLogger(__name__)

_HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"
_FILE = re.compile(r"^[a-z]+(?:_[a-z]+)?_(?P<host>[A-Za-z0-9.-]+)-(?P<pid>[0-9]+)\.db$")
_set_up = False


def process_identifier() -> str:
    """This process's name in the folder: unique among live processes on every host."""
    return f"{_HOST}-{os.getpid()}"


def metrics_folder() -> Path:
    return Path(settings.PROMETHEUS_MULTIPROC_DIR)


def metrics_multiprocess_setup() -> None:
    """Point prometheus-client at the folder, before this process creates any metric
    value (the app's `ready()` calls it). Idempotent; forked children (gunicorn and
    Celery workers) notice their new pid and open files of their own."""
    global _set_up
    if _set_up:
        return
    folder = metrics_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # Read by prometheus-client whenever a process opens its files.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    values.ValueClass = values.MultiProcessValue(process_identifier)
    _set_up = True


def metrics_files_prune() -> list[Path]:
    """Remove the files of this host's processes that no longer run; return them."""
    removed: list[Path] = []
    folder = metrics_folder()
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _FILE.match(path.name)
        if match is None or match["host"] != _HOST or _is_running(int(match["pid"])):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    if removed:
        logger.info("Removed the metrics files of %d finished process(es)", len(removed))
    return removed


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    except OverflowError:
        return False
    return True
