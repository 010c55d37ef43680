"""Real processes for system tests: the emulator, Celery workers, manage.py commands.

Everything listens on 127.0.0.1 and is stopped by the fixtures that start it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.system.redis_server import claimed_database

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get(
    "VENDING_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"
)


def require_service(name: str, host: str, port: int) -> None:
    """Skip loudly on a developer's machine; fail under CI, which must have it."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        message = f"{name} is not reachable on {host}:{port} ({exc})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must provide it", pytrace=False)
        pytest.skip(f"SKIPPED LOUDLY: {message}; start it to run the system tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def _database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def postgres_database(*, migrated: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards: empty, or with `migrated` a copy of
    one migrated once per set of migrations (`migrated_template`), which a test's
    `portal_init` then finds with nothing left to apply."""
    import psycopg

    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"vending_sys_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        if migrated:
            with _templates_locked(conn):
                template = migrated_template(conn)
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _database_url(name)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEMPLATE_PREFIX = "vending_tpl_"
TEMPLATES_LOCK = 0x76656E64  # a PostgreSQL advisory lock: one test process at a time


@contextmanager
def _templates_locked(conn: Any) -> Iterator[None]:
    conn.execute("SELECT pg_advisory_lock(%s)", (TEMPLATES_LOCK,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATES_LOCK,))


def migrated_template(conn: Any) -> str:
    """The name of a database the portal's migrations were applied to, kept on the server
    (`vending_tpl_<digest of the migrations>`, as the SQLite one in var/): made by the
    first test that needs it, under the name it is published by only once complete; an
    older one is dropped. Migrating took some 8 s of each system test."""
    from tests.db_template import template_key

    template = TEMPLATE_PREFIX + template_key()
    found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone()
    if found:
        return template
    stale = conn.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (TEMPLATE_PREFIX,)
    ).fetchall()
    for (old,) in stale:
        conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
    building = f"{template}_building"
    conn.execute(f'CREATE DATABASE "{building}"')
    try:
        with tempfile.TemporaryDirectory(prefix="vending-template-") as tmp:
            portal = Portal(
                Path(tmp),
                database_url=_database_url(building),
                broker_url="memory://",
                aws_url="http://127.0.0.1:9",
            )
            portal.manage("migrate", "--noinput", "--verbosity", "0", timeout=300)
    except BaseException:
        conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
        raise
    conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    return template


@contextmanager
def redis_broker() -> Iterator[str]:
    """A database of the shared Redis claimed for this use alone (redis_server.py)."""
    require_service("Redis", "127.0.0.1", 6379)
    with claimed_database() as url:
        yield url


# The brokers the kill and outage tests run on (`broker_kind`, tests/system/conftest.py).
BROKERS = ["redis", "rabbitmq"]
RABBITMQ_URL = os.environ.get("VENDING_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//")


@contextmanager
def rabbitmq_broker() -> Iterator[tuple[str, str]]:
    """The shared RabbitMQ's default vhost (its management API is not assumed) and a queue
    name of this use alone: (broker URL, queue). The queue is deleted afterwards."""
    from kombu import Connection

    require_service("RabbitMQ", "127.0.0.1", 5672)
    queue = f"vending-sys-{uuid.uuid4().hex[:10]}"
    try:
        yield RABBITMQ_URL, queue
    finally:
        with Connection(RABBITMQ_URL, connect_timeout=5) as conn:
            channel = conn.channel()
            with contextlib.suppress(Exception):
                channel.queue_delete(queue)
            with contextlib.suppress(Exception):
                conn.channel().exchange_delete(queue)


@contextmanager
def broker(kind: str) -> Iterator[tuple[str, str]]:
    """A broker of the given kind ("redis", "rabbitmq") for one test: (URL, queue)."""
    if kind == "rabbitmq":
        with rabbitmq_broker() as found:
            yield found
    else:
        with redis_broker() as url:
            yield url, "celery"


class Emulator:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method="POST" if data is not None else "GET"
        )
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
            return json.loads(resp.read())

    def standalone_account(self, name: str) -> str:
        """An AWS account outside any organization (to invite); its id."""
        body = {"name": name, "email": f"{name}@example.com"}
        return str(self.control("/_emulator/accounts", body)["account_id"])

    def advance_clock(self, **step: float) -> None:
        """Move the emulator's clock (`days=`, `hours=`, `seconds=`)."""
        self.control("/_emulator/clock", {f"advance_{k}": v for k, v in step.items()})

    def client(self, service: str = "organizations") -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "max_attempts": 10}),
        )


@contextmanager
def emulator_process(tmp_path: Path, **options: Any) -> Iterator[Emulator]:
    port = free_port()
    args = [PYTHON, "-m", "vending.emulator", "--host", "127.0.0.1", "--port", str(port)]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    log = tmp_path / "emulator.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    emulator = Emulator(port, process, log)
    try:
        wait_for(lambda: _answers(emulator), timeout=30, what="the emulator")
        yield emulator
    finally:
        _stop(process)


def _answers(emulator: Emulator) -> bool:
    if emulator.process.poll() is not None:
        raise AssertionError(f"emulator exited: {emulator.log.read_text()[-2000:]}")
    try:
        return bool(emulator.control("/_emulator/health").get("ok"))
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        process.send_signal(sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# `request_status --json` answered by one long-lived process per portal: the system tests
# poll it every second, and a manage.py process per look cost some 2 s of CPU to start.
# Each answer uses a new database connection, so an outage or a restart shows as it would.
STATUS_READER = """
import io, json, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connections
for line in sys.stdin:
    out = io.StringIO()
    try:
        call_command("request_status", line.strip(), "--json", stdout=out)
        answer = {"out": out.getvalue()}
    except BaseException as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        connections.close_all()
    print(json.dumps(answer), flush=True)
"""


class _StatusReader:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.process = subprocess.Popen(
            [PYTHON, "-c", STATUS_READER],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def ask(self, request_id: int, timeout: float) -> dict[str, Any]:
        import selectors

        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{request_id}\n")
        self.process.stdin.flush()
        with selectors.DefaultSelector() as ready:
            ready.register(self.process.stdout, selectors.EVENT_READ)
            if not ready.select(timeout):
                raise AssertionError(f"request_status {request_id}: no answer in {timeout}s")
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"request_status {request_id}: the reader exited")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"request_status {request_id} failed: {answer['error']}")
        return dict(json.loads(answer["out"]))

    def stop(self) -> None:
        _stop(self.process)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class Portal:
    """The portal's processes configured for one test: database, broker, emulator."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        database_url: str,
        broker_url: str,
        aws_url: str,
        queue: str = "celery",
    ):
        self.tmp_path = tmp_path
        self.workers: list[subprocess.Popen[bytes]] = []
        # Worker names of this portal alone: on the shared RabbitMQ a worker's control queue
        # (`<name>.celery.pidbox`) is exclusive, and a second worker of the same name in
        # another test at the same time stopped with RESOURCE_LOCKED.
        self.name = uuid.uuid4().hex[:8]
        self._reader: _StatusReader | None = None
        self.env = {
            # Not the test process's own metrics folder either (vending/metrics/multiprocess.py
            # exports it): the portal's processes count in their own, under VENDING_VAR_DIR.
            # Their bytecode is kept whatever the environment says (the Makefile's
            # `unexport PYTHONDONTWRITEBYTECODE`): each compiled all it imported otherwise.
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("AWS_", "DJANGO_"))
                and k not in ("PROMETHEUS_MULTIPROC_DIR", "PYTHONDONTWRITEBYTECODE")
            },
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "true",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "VENDING_VAR_DIR": str(tmp_path / "var"),
            "AWS_ENDPOINT_URL": aws_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "VENDING_EMULATOR": "true",
            # Short timings so a lost task is found within seconds, not minutes.
            "VENDING_POLL_MAX_COUNTDOWN": "2",
            "VENDING_SWEEP_STALE_SECONDS": "6",
            "VENDING_SWEEP_INTERVAL_SECONDS": "2",
            "VENDING_CREATE_LEASE_SECONDS": "10",
        }

    def manage(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout + result.stderr

    def start_worker(self, *, concurrency: int = 4, beat: bool = True) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        args = [
            PYTHON, "-m", "celery", "-A", "portal", "worker",
            "--loglevel=INFO", f"--concurrency={concurrency}", f"--hostname=w{n}-{self.name}@%h",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if beat:
            args += ["--beat", "--schedule", str(self.tmp_path / f"beat-{n}")]
        log = self.tmp_path / f"worker-{n}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(process)
        return process

    def start_web(self, port: int) -> str:
        """gunicorn on 127.0.0.1:port, as the Procfile runs it (its config and access log
        included); answers once it serves."""
        log = self.tmp_path / "web.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "portal.wsgi", "--config", "python:portal.gunicorn_conf",
                 "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
                 "--access-logfile", "-", "--no-control-socket"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(process)
        url = f"http://127.0.0.1:{port}"

        def serving() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"web exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:  # loopback
                    return resp.status == 200
            except OSError:
                return False

        wait_for(serving, timeout=60, what="the web server")
        return url

    def kill_workers(self, sig: int = signal.SIGKILL) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, sig)
                process.wait(timeout=15)

    def stop(self) -> None:
        for process in self.workers:
            _stop(process)
        if self._reader is not None:
            self._reader.stop()
            self._reader = None

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(self.tmp_path.glob("*.log"))
        )

    def status(self, request_id: int, timeout: float = 120) -> dict[str, Any]:
        """`manage.py request_status --json`, read by a process kept for it (STATUS_READER),
        started again whenever the portal's environment changed."""
        if self._reader is not None and (
            self._reader.env != self.env or self._reader.process.poll() is not None
        ):
            self._reader.stop()
            self._reader = None
        if self._reader is None:
            self._reader = _StatusReader(self.env)
        try:
            return self._reader.ask(request_id, timeout)
        except AssertionError:
            self._reader.stop()  # a late answer must not be read as the next one's
            self._reader = None
            raise

    def submit(self, *, team: str, cls: str, envs: list[str], who: str = "lead") -> int:
        env_args = [a for e in envs for a in ("--env", e)]
        out = self.manage(
            "request_create", "--as", who, "--team", team, "--class", cls, *env_args,
            "--justification", "System test",
        )  # fmt: skip
        return int(out.split("#", 1)[1].split()[0])

    def wait_finished(self, request_id: int, timeout: float = 180) -> dict[str, Any]:
        return self.wait_status(
            request_id,
            lambda s: s["status"] in {"completed", "failed"},
            timeout=timeout,
            what=f"request #{request_id} to finish",
        )

    def wait_status(
        self,
        request_id: int,
        done: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 180,
        what: str = "",
    ) -> dict[str, Any]:
        """`request_status --json` once `done` holds for it; the logs if it never does."""

        def check() -> dict[str, Any] | None:
            status = self.status(request_id)
            return status if done(status) else None

        what = what or f"request #{request_id}"
        try:
            return wait_for(check, timeout=timeout, what=what, every=1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.status(request_id)}\n{self.logs()}") from exc

    def request(self, command: str, *args: str) -> int:
        """Run a request command (request_create, request_invite, request_change) and
        return the id it prints ("Request #N submitted ...")."""
        out = self.manage(command, *args)
        return int(out.split("Request #", 1)[1].split()[0])

    def wait_states(
        self,
        request_id: int,
        done: Callable[[str, dict[str, Any]], bool],
        *,
        timeout: float = 120,
        what: str = "",
    ) -> tuple[str, dict[str, Any]]:
        """Poll the database (cheaper than a manage.py per look) until `done(request's
        status, its account's columns)` holds; the account is the one it creates or
        invites, or the one it is about. Then the caller reads `request_status`."""

        def check() -> tuple[str, dict[str, Any]] | None:
            rows = self.sql(
                "SELECT r.status, a.status, a.handshake_state, a.invite_expected_at, "
                "a.close_expected_on, a.close_requested_at FROM vending_accountrequest r "
                "JOIN vending_vendedaccount a ON a.id = COALESCE(r.target_account_id, "
                "(SELECT min(id) FROM vending_vendedaccount WHERE request_id = r.id)) "
                "WHERE r.id = %s",
                (request_id,),
            )
            if not rows:
                return None
            names = ("status", "handshake_state", "invite_expected_at", "close_expected_on")
            account = dict(zip((*names, "close_requested_at"), rows[0][1:], strict=True))
            return (rows[0][0], account) if done(rows[0][0], account) else None

        what = what or f"request #{request_id}"
        try:
            return wait_for(check, timeout=timeout, what=what, every=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.status(request_id)}\n{self.logs()}") from exc

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the portal's database (e.g. to move its dates back, as
        time passing would); the rows it returns, if any."""
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return list(cursor.fetchall()) if cursor.description else []


def ou_path_of(client: Any, account_id: str) -> str:
    """Where AWS (the emulator) holds an account: OU names from the root joined by '/'."""
    names = []
    child = account_id
    while True:
        parent = client.list_parents(ChildId=child)["Parents"][0]
        if parent["Type"] == "ROOT":
            return "/".join(reversed(names))
        names.append(
            client.describe_organizational_unit(OrganizationalUnitId=parent["Id"])[
                "OrganizationalUnit"
            ]["Name"]
        )
        child = parent["Id"]
