"""Fixtures shared by the whole suite."""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import settings as hypothesis_settings

from vending.emulator import EmulatorConfig, EmulatorServer

# Random examples per property test: every one in `make test` and CI; a quarter in
# `make check`, the quick loop (`pytest --hypothesis-profile=check`).
hypothesis_settings.register_profile("full", max_examples=200)
hypothesis_settings.register_profile("check", max_examples=50)
hypothesis_settings.load_profile("full")

# Python's cyclic garbage collector, tuned for a test process: its heap holds millions of
# long-lived objects (botocore's service models, moto, Django), and at the default
# thresholds (700, 10, 10) full collections walked them some 20 times per process, 4 to 5
# s of CPU each process. At thresholds about 30 times higher they cost a third of that,
# and a process's peak memory stays about the same (docs/benchmarks.md, "Under a minute
# on the slower machine").
gc.set_threshold(20_000, 20, 100)

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


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):  # type: ignore[no-untyped-def]
    """pytest-django's, and the test database is a copy of a migrated one, copied back
    after each transactional test (tests/db_template.py)."""
    from tests.db_template import fixture_teardown_from_template, migrate_from_template

    undo = fixture_teardown_from_template()
    try:
        with migrate_from_template():
            yield
    finally:
        undo()


@pytest.fixture
def users(db):  # type: ignore[no-untyped-def]
    """lead, lead2, approver1 and approver2 (approvers), admin (portal admins) and nobody;
    every password is "pw". Written in three statements: most tests of the suite ask for
    them, and one INSERT per user and per membership added up."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from vending.roles import ADMINS_GROUP, APPROVERS_GROUP

    User = get_user_model()
    approvers, admins = Group.objects.bulk_create(
        [Group(name=APPROVERS_GROUP), Group(name=ADMINS_GROUP)]
    )
    names = ("lead", "lead2", "approver1", "approver2", "admin", "nobody")
    password = _password_hash()
    made = {
        user.username: user
        for user in User.objects.bulk_create(
            User(username=name, email=f"{name}@example.com", password=password) for name in names
        )
    }
    Membership = User.groups.through
    Membership.objects.bulk_create(
        Membership(user_id=made[name].pk, group_id=group.pk)
        for name, group in (("approver1", approvers), ("approver2", approvers), ("admin", admins))
    )
    return made


@functools.cache
def _password_hash() -> str:
    from django.contrib.auth.hashers import make_password

    return make_password("pw")


@pytest.fixture
def team(users):  # type: ignore[no-untyped-def]
    from vending.models import Team

    t = Team.objects.create(slug="checkout", name="Checkout")
    t.leads.add(users["lead"])
    return t


@pytest.fixture
def other_team(users):  # type: ignore[no-untyped-def]
    """Team `payments`, led by lead2 (lead leads `checkout`, the `team` fixture)."""
    from vending.models import Team

    t = Team.objects.create(slug="payments", name="Payments")
    t.leads.add(users["lead2"])
    return t


@pytest.fixture
def moto_gateway(fresh_gateway_cache, db) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A real gateway against moto in-process, with the org blueprint applied.

    The first test of a process applies the blueprint for real; every later one starts
    from a copy of what that apply left behind (moto's organization, the kept OU ids and
    the apply's audit rows), which is the same state at a hundredth of the cost.
    """
    from moto import mock_aws

    from vending.aws import OrganizationsGateway
    from vending.services.org_blueprint import org_blueprint_apply

    with mock_aws():
        gateway = OrganizationsGateway()
        if _APPLIED_ORG:
            _AppliedOrg.restore(_APPLIED_ORG[0])
        else:
            before = _AppliedOrg.last_ids()
            org_blueprint_apply(gateway=gateway)
            _APPLIED_ORG.append(_AppliedOrg.capture(after=before))
        yield gateway


class _AppliedOrg:
    """moto's Organizations state and the rows a blueprint apply writes, copied."""

    _MOTO_FIELDS = ("org", "accounts", "ou", "policies", "services", "admins")

    def __init__(self, moto_state: dict[str, object], rows: dict[str, list[dict]]) -> None:
        self.moto_state = moto_state
        self.rows = rows

    @staticmethod
    def _models() -> dict[str, type]:
        from vending.models import AuditEvent, OrganizationalUnitRecord

        return {"audit": AuditEvent, "ou_ids": OrganizationalUnitRecord}

    @staticmethod
    def _backends():  # type: ignore[no-untyped-def]
        from moto.organizations.models import organizations_backends

        return organizations_backends

    @classmethod
    def _backend(cls):  # type: ignore[no-untyped-def]
        from moto.core import DEFAULT_ACCOUNT_ID

        return cls._backends()[DEFAULT_ACCOUNT_ID]["aws"]

    @classmethod
    def last_ids(cls) -> dict[str, int]:
        """The highest id of each table now: rows above it are the apply's own."""
        return {
            key: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for key, model in cls._models().items()
        }

    @classmethod
    def rows_since(cls, after: dict[str, int]) -> dict[str, list[dict]]:
        return {
            key: list(
                model.objects.filter(pk__gt=after[key]).values(
                    *[f.attname for f in model._meta.concrete_fields if not f.primary_key]
                )
            )
            for key, model in cls._models().items()
        }

    @classmethod
    def rows_restore(cls, rows: dict[str, list[dict]]) -> None:
        for key, model in cls._models().items():
            model.objects.bulk_create(model(**row) for row in rows[key])

    @classmethod
    def capture(cls, *, after: dict[str, int]) -> _AppliedOrg:
        import copy

        backend = cls._backend()
        assert backend.org is not None, "the blueprint apply made no organization"
        state = {name: getattr(backend, name) for name in cls._MOTO_FIELDS}
        state["master_accounts"] = cls._backends().master_accounts
        return cls(copy.deepcopy(state), cls.rows_since(after))

    @classmethod
    def restore(cls, applied: _AppliedOrg) -> None:
        import copy

        state = copy.deepcopy(applied.moto_state)
        backend = cls._backend()
        for name in cls._MOTO_FIELDS:
            setattr(backend, name, state[name])
        cls._backends().master_accounts.update(state["master_accounts"])
        cls.rows_restore(applied.rows)


_APPLIED_ORG: list[_AppliedOrg] = []


class _Message(tuple):  # type: ignore[type-arg]
    """(task name, args, countdown), and when it is due (`eta`, time.monotonic())."""

    eta: float = 0.0


class TaskQueue:
    """An in-memory stand-in for the broker: records what tasks enqueue, then runs it.

    `drain(duplicate=True)` delivers every message twice, as an at-least-once broker
    may after a worker dies before acknowledging. `drain(pause=...)` honours countdowns
    as a broker does: no message is delivered before it is due, and when none is due
    the queue waits for the first that will be.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, tuple[object, ...], float | None]] = []
        self.delivered: list[tuple[str, tuple[object, ...]]] = []

    def record(self, task, args=None, kwargs=None, countdown=None, **options):  # type: ignore[no-untyped-def]
        import time

        message = _Message((task.name, tuple(args or ()), countdown))
        message.eta = time.monotonic() + (countdown or 0.0)
        self.messages.append(message)

    def run_one(self, name: str, args: tuple[object, ...]) -> object:
        from celery import current_app

        self.delivered.append((name, args))
        return current_app.tasks[name].run(*args)

    def drain(self, *, duplicate: bool = False, limit: int = 2000, pause: float = 0.0) -> int:
        steps = 0
        while self.messages:
            name, args, _ = self._next(honour_countdowns=bool(pause))
            for _ in range(2 if duplicate else 1):
                self.run_one(name, args)
            steps += 1
            assert steps < limit, f"queue did not drain: {self.messages[:5]}"
        return steps

    def _next(self, *, honour_countdowns: bool) -> tuple[str, tuple[object, ...], float | None]:
        import time

        if not honour_countdowns:
            return self.messages.pop(0)
        etas = [getattr(message, "eta", 0.0) for message in self.messages]
        now = time.monotonic()
        due = next((i for i, eta in enumerate(etas) if eta <= now), None)
        if due is None:
            due = min(range(len(etas)), key=etas.__getitem__)
            time.sleep(etas[due] - now)
        return self.messages.pop(due)


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


# --- The AWS Organizations emulator, in-process ---------------------------------------------
# One server per test process (per xdist worker); every test that asks for it gets it
# emptied and with EMULATOR_CONFIG restored. The emulator imports nothing from Django, so
# the emulator's own tests need no database. (tests/system/harness.py starts it as a real
# process instead, for the tests of real processes.)

# CreateAccount stays IN_PROGRESS this long: short, but long enough to be seen.
EMULATOR_CONFIG = EmulatorConfig(create_delay_seconds=0.3)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer("127.0.0.1", 0, EMULATOR_CONFIG) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    """The emulator with no organization, its counters at zero, EMULATOR_CONFIG restored."""
    emulator_server.app.reset()
    emulator_server.app.update_config(EMULATOR_CONFIG.to_dict())
    return emulator_server


@pytest.fixture
def emulator_gateway(emulator, monkeypatch, fresh_gateway_cache):  # type: ignore[no-untyped-def]
    """The portal's own gateway (`get_gateway()`) talking to `emulator`, with its AWS limits.

    `gateway.emulator` is the server and `gateway.stats()` its call counters.
    """
    from vending.aws import get_gateway

    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    get_gateway.cache_clear()  # built after the endpoint is set
    gateway = get_gateway()
    gateway.emulator = emulator  # type: ignore[attr-defined]
    gateway.stats = emulator.app.stats  # type: ignore[attr-defined]
    return gateway


@pytest.fixture
def emulator_org(emulator_gateway, db):  # type: ignore[no-untyped-def]
    """`emulator_gateway` with the org blueprint applied, as `make run` leaves the emulator.

    As `moto_gateway`: the first test of a process applies the blueprint for real through
    the emulator; every later one starts from the emulator's checkpoint of that moment
    (its organization, state and counters) and a copy of the rows the apply wrote. An
    emulator configured otherwise than EMULATOR_CONFIG (faults, limits) applies for real.
    """
    from vending.services.org_blueprint import org_blueprint_apply

    def apply() -> dict[str, list[dict]]:
        before = _AppliedOrg.last_ids()
        org_blueprint_apply(gateway=emulator_gateway)
        return _AppliedOrg.rows_since(before)

    rows, rewound = emulator_made_once(emulator_gateway.emulator.app, _APPLIED_EMULATOR_ORG, apply)
    if rewound:
        _AppliedOrg.rows_restore(rows)
    return emulator_gateway


_T = TypeVar("_T")


def emulator_made_once(
    app: Any, kept: list[tuple[bytes, _T]], make: Callable[[], _T]
) -> tuple[_T, bool]:
    """`make()` against the emulator the first time in a test process, keeping a checkpoint
    of the state it leaves in `kept`; every later time, the emulator is rewound to that
    checkpoint instead. Returns `make()`'s value and whether it was a rewind. An emulator
    configured otherwise than EMULATOR_CONFIG (faults, limits) always makes for real."""
    if app.config != EMULATOR_CONFIG:
        return make(), False
    if kept:
        checkpoint, value = kept[0]
        app.rewind(checkpoint)
        return value, True
    value = make()
    kept.append((app.checkpoint(), value))
    return value, False


_APPLIED_EMULATOR_ORG: list[tuple[bytes, dict[str, list[dict]]]] = []
