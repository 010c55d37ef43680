"""Two approvers approve the same request at the same instant, many times over.

Run as a separate process against a real database and broker (see
test_concurrent_approvals.py); prints a JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402

from portal.celery_app import app as celery_app  # noqa: E402
from vending.errors import DomainError  # noqa: E402
from vending.models import AuditEvent, Team  # noqa: E402
from vending.services.requests import account_request_approve, account_request_create  # noqa: E402


def _amqp_task_names(broker: str, queue: str) -> list[str]:
    """The tasks of the messages waiting in `queue`, left there (read, never acknowledged:
    closing the connection gives them back)."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    names = []
    with Connection(broker) as conn:
        channel = conn.channel()
        try:
            while (message := channel.basic_get(queue, no_ack=False)) is not None:
                names.append(message.headers["task"])
        except NotFound:
            pass  # nothing was ever sent to it
    return names


def queued_messages(task: str = "vending.provision_request") -> int:
    """How many messages for `task` wait in the broker (no worker runs here)."""
    broker = settings.CELERY_BROKER_URL
    queue = celery_app.conf.task_default_queue
    if broker.startswith("amqp://"):
        return sum(name == task for name in _amqp_task_names(broker, queue))
    if broker.startswith("redis://"):
        import redis

        raw = redis.Redis.from_url(broker).lrange(queue, 0, -1)
    else:
        folder = settings.CELERY_BROKER_FILESYSTEM_DIR / "out"
        raw = [p.read_bytes() for p in folder.glob("*")] if folder.exists() else []
    return sum(json.loads(message)["headers"]["task"] == task for message in raw)


def race(round_no: int, compliance_class: str, environments: list[str]) -> dict[str, object]:
    lead = User.objects.get(username="lead")
    team = Team.objects.create(
        slug=f"race-{compliance_class.replace('_', '-')}-{round_no}", name="Race"
    )
    team.leads.add(lead)
    request = account_request_create(
        requester=lead,
        team=team,
        compliance_class=compliance_class,
        environments=environments,
        justification="race",
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve(username: str) -> None:
        approver = User.objects.get(username=username)
        barrier.wait()
        try:
            result = account_request_approve(request=request, approver=approver)
            outcomes[username] = "started" if result.provisioning_started else "recorded"
        except DomainError as exc:
            outcomes[username] = f"refused: {exc.message}"
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in ("approver1", "approver2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    request.refresh_from_db()
    return {
        "required": request.approvals_required,
        "approvals": request.approvals.count(),
        "status": request.status,
        "outcomes": outcomes,
        "runs_started": AuditEvent.objects.filter(
            request=request, to_status="provisioning"
        ).count(),
    }


def main() -> None:
    rounds = int(sys.argv[1])
    before = queued_messages()
    results = []
    for i in range(rounds):
        results.append(race(i, "general", ["dev"]))  # one approval needed
        results.append(race(i, "hipaa", ["prod"]))  # two approvals needed
    print(json.dumps({"results": results, "messages_enqueued": queued_messages() - before}))


if __name__ == "__main__":
    main()
