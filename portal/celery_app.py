"""The Celery application `portal`.

Reliability settings follow DESIGN.md section 6: a task is acknowledged only after it
finished (`acks_late`), and a task whose worker died is given back to the broker
(`reject_on_worker_lost`). Tasks declare their own bounded retries.
"""

import os

from celery import Celery
from celery.signals import (
    beat_init,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
)

from portal.broker_filesystem import filesystem_put_patch
from portal.broker_redis import redis_channel_close_patch
from portal.processes import pool_process_exits_with_parent

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Without it a worker exits for good when Redis restarts (portal/broker_redis.py).
redis_channel_close_patch()
# Without it a worker can read a half-written message and exit (portal/broker_filesystem.py).
filesystem_put_patch()

# The hard time limit of any task (seconds); a task may declare a shorter one.
TASK_TIME_LIMIT = 300

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _broker_transport_options() -> dict[str, object]:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # Redis: a message not acknowledged within this time is delivered again. It must
        # exceed the longest task (the hard time limit) so healthy work is not run twice;
        # a dead worker's provisioning is handed on sooner by the sweeper (its lease).
        # RabbitMQ ignores it: a dead worker's messages come back when its connection drops.
        return {"visibility_timeout": TASK_TIME_LIMIT + 60}
    folder = settings.CELERY_BROKER_FILESYSTEM_DIR
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        # Broadcast/control messages; kombu's default is a folder in the working dir.
        "control_folder": str(folder / "control"),
        "store_processed": False,
        # How often the folder is looked at for new messages (kombu: every second). A
        # step that hands on to the next must not wait longer than the AWS call it makes.
        "polling_interval": 0.1,
    }


app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=TASK_TIME_LIMIT,
    # Portals sharing one broker (e.g. a RabbitMQ vhost) keep their work apart by name.
    task_default_queue=os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery"),
    task_soft_time_limit=240,
    task_track_started=False,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.on_after_configure.connect
def _configure_transport(sender: Celery, **kwargs: object) -> None:
    sender.conf.broker_transport_options = _broker_transport_options()


@worker_init.connect
def _prune_metrics_files(**kwargs: object) -> None:
    # Before the pool forks: the files of this host's finished processes are removed
    # (vending/metrics/multiprocess.py says why not the whole folder).
    from vending.metrics.multiprocess import metrics_files_prune

    metrics_files_prune()


@worker_init.connect
def _preload(**kwargs: object) -> None:
    # Before the pool forks: every pool process starts with the AWS models, blueprint,
    # templates and URLconf loaded (vending/preload.py).
    from vending.preload import process_preload

    process_preload()


@worker_process_init.connect
def _leave_the_process_group(**kwargs: object) -> None:
    # A stop signal for the worker goes to its main process only, which then stops its
    # pool warmly (the systemd unit's KillMode=mixed). honcho (`make run`) signals each
    # process *group*: pool processes in the main's group died of that SIGTERM at once,
    # the pool started new ones, and the main process waited on them until it was
    # SIGKILLed. The parent-death signal stops a pool process whose main process was
    # killed outright, so none is left behind.
    os.setpgid(0, 0)
    pool_process_exits_with_parent()


@worker_process_init.connect
def _warm_aws_clients(**kwargs: object) -> None:
    # Each pool process builds its AWS clients before its first task (vending/preload.py).
    from vending.preload import pool_process_warm

    pool_process_warm()


@task_prerun.connect
@task_postrun.connect
def _database_connections_as_a_request(sender: object = None, **kwargs: object) -> None:
    # What Django does around a web request, around each task: a connection older than
    # CONN_MAX_AGE, broken, or left in a transaction is closed, and a kept one is checked
    # (CONN_HEALTH_CHECKS) before its first query, so a database restart costs a
    # reconnection, not a failed task. Celery itself closes it only every
    # CELERY_DB_REUSE_MAX tasks (portal/settings.py). A task run inline by its caller
    # (eager) uses the caller's connection, which is the caller's to manage.
    request = getattr(sender, "request", None)
    if getattr(request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@beat_init.connect
def _drift_scan_at_start(**kwargs: object) -> None:
    # The first scan runs when the scheduler starts, not one interval later: until then
    # the organization page could only say that none has run.
    from vending.dispatch import enqueue_drift_scan

    enqueue_drift_scan()  # outside a transaction: sent at once


app.autodiscover_tasks()
