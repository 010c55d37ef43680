"""A dead worker's tasks come back because every task is acknowledged only once it ran.

With RabbitMQ, a message a worker received but did not acknowledge is given back to the
queue as soon as the worker's connection drops (tests/system/test_provisioning_e2e.py
kills a worker mid-creation on both brokers). That holds only with late acknowledgement:
with `acks_late` off, a worker acknowledges a task as it starts it, and a worker killed
while running it loses it for good (the sweeper would then find the work only once its
lease lapsed). The portal has no setting to turn it off; this test fails the day a task,
or the application's defaults, do.
"""

from __future__ import annotations

from portal.celery_app import app


def portal_tasks() -> dict[str, object]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith("vending.")}


def test_every_portal_task_is_acknowledged_only_after_it_ran():
    tasks = portal_tasks()

    assert {"vending.provision_request", "vending.provision_account", "vending.sweep"} <= set(tasks)
    late = {name: (task.acks_late, task.reject_on_worker_lost) for name, task in tasks.items()}
    assert late == dict.fromkeys(tasks, (True, True))


def test_a_task_that_declares_nothing_is_acknowledged_late_too():
    # The application's defaults, for a task added tomorrow without its own settings.
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    # One message at a time per process: a killed worker holds one task, not a batch.
    assert app.conf.worker_prefetch_multiplier == 1
