"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Never let a developer's real AWS configuration leak into a test.
for _name in (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
):
    os.environ.pop(_name, None)


@pytest.fixture
def users(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from vending.roles import ADMINS_GROUP, APPROVERS_GROUP

    User = get_user_model()
    approvers = Group.objects.create(name=APPROVERS_GROUP)
    admins = Group.objects.create(name=ADMINS_GROUP)
    made = {
        name: User.objects.create_user(name, f"{name}@example.com", "pw")
        for name in ("lead", "lead2", "approver1", "approver2", "admin", "nobody")
    }
    made["approver1"].groups.add(approvers)
    made["approver2"].groups.add(approvers)
    made["admin"].groups.add(admins)
    return made


@pytest.fixture
def team(users):  # type: ignore[no-untyped-def]
    from vending.models import Team

    t = Team.objects.create(slug="checkout", name="Checkout")
    t.leads.add(users["lead"])
    return t


@pytest.fixture
def moto_gateway(fresh_gateway_cache, db) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A real gateway against moto in-process, with the org blueprint applied."""
    from moto import mock_aws

    from vending.aws import OrganizationsGateway
    from vending.services.org_blueprint import org_blueprint_apply

    with mock_aws():
        gateway = OrganizationsGateway()
        org_blueprint_apply(gateway=gateway)
        yield gateway


class TaskQueue:
    """An in-memory stand-in for the broker: records what tasks enqueue, then runs it.

    `drain(duplicate=True)` delivers every message twice, as an at-least-once broker
    may after a worker dies before acknowledging.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, tuple[object, ...], float | None]] = []
        self.delivered: list[tuple[str, tuple[object, ...]]] = []

    def record(self, task, args=None, kwargs=None, countdown=None, **options):  # type: ignore[no-untyped-def]
        self.messages.append((task.name, tuple(args or ()), countdown))

    def run_one(self, name: str, args: tuple[object, ...]) -> object:
        from celery import current_app

        self.delivered.append((name, args))
        return current_app.tasks[name].run(*args)

    def drain(self, *, duplicate: bool = False, limit: int = 2000, pause: float = 0.0) -> int:
        import time

        steps = 0
        while self.messages:
            name, args, countdown = self.messages.pop(0)
            if countdown and pause:
                time.sleep(min(countdown, pause))
            for _ in range(2 if duplicate else 1):
                self.run_one(name, args)
            steps += 1
            assert steps < limit, f"queue did not drain: {self.messages[:5]}"
        return steps


@pytest.fixture
def task_queue(monkeypatch):  # type: ignore[no-untyped-def]
    from celery.app.task import Task

    queue = TaskQueue()
    monkeypatch.setattr(Task, "apply_async", lambda self, *a, **kw: queue.record(self, *a, **kw))
    return queue


@pytest.fixture
def fresh_gateway_cache() -> Iterator[None]:
    from vending.aws import get_gateway

    get_gateway.cache_clear()
    yield
    get_gateway.cache_clear()
