"""The API served for real: gunicorn, a migrated SQLite file, the Organizations emulator.

Two things need real processes: concurrent requests racing on one Idempotency-Key, and
schemathesis generating requests from the published schema (`st run`), bounded to a
few examples per operation, asserting no 5xx and no answer the schema does not allow.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.serial]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Checks named by the issue: no 5xx, and nothing the schema does not describe.
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
# A fixed seed and a small budget keep CI reproducible and fast; to explore further set
# VENDING_SCHEMATHESIS_SEED and VENDING_SCHEMATHESIS_MAX_EXAMPLES.
MAX_EXAMPLES = int(os.environ.get("VENDING_SCHEMATHESIS_MAX_EXAMPLES", "25"))
SEED = """
from django.contrib.auth.models import User
from vending.services.api_tokens import api_token_create
from vending.models import Team, VendedAccount
from vending.services.requests import account_request_create, account_request_approve
from vending.aws import get_gateway

admin, lead = User.objects.get(username="admin"), User.objects.get(username="lead")
checkout = Team.objects.get(slug="checkout")
checkout.leads.add(admin)  # so generated submissions and previews get past the lead check
race = Team.objects.create(slug="race", name="Race")
race.leads.add(lead)
done = account_request_create(requester=lead, team=checkout, compliance_class="general",
                              environments=["dev"], justification="seed")
account_request_approve(request=done, approver=User.objects.get(username="approver1"))
account = done.accounts.get()
account.account_id = get_gateway().describe_organization().management_account_id
account.status = "ready"
account.save()
account_request_create(requester=lead, team=checkout, compliance_class="hipaa",
                       environments=["prod"], justification="seed")
print("SEEDED", api_token_create(user=admin, name="live").secret,
      api_token_create(user=lead, name="live").secret, account.account_id)
"""


@dataclass(frozen=True)
class LiveApi:
    url: str
    admin_token: str
    lead_token: str
    workdir: Path
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout}s") from None
            time.sleep(0.2)


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    work = tmp_path_factory.mktemp("live-api")
    emulator_port, web_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "true",
        "VENDING_VAR_DIR": str(work),
        "DATABASE_URL": f"sqlite:///{work / 'portal.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://localhost//",
        "CELERY_BROKER_FILESYSTEM_DIR": str(work / "broker"),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{emulator_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "VENDING_EMULATOR": "true",
        "VENDING_API_THROTTLE_USER": "100000/min",
        "VENDING_API_THROTTLE_ANON": "100000/min",
        "EMULATOR_FAULT_RATE": "0",
        "EMULATOR_CREATE_DELAY": "0.5",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_ORGANIZATIONS"):
        env.pop(name, None)
    python = sys.executable
    processes = [
        _start(
            [python, "-m", "vending.emulator", "--port", str(emulator_port)],
            env,
            work / "emulator.log",
        )
    ]
    try:
        _wait_http(f"http://127.0.0.1:{emulator_port}/_emulator/health", 30)
        manage = [python, "manage.py"]
        subprocess.run([*manage, "portal_init"], cwd=ROOT, env=env, check=True, timeout=120)
        seeded = subprocess.run(
            [*manage, "shell", "-c", SEED],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        )
        admin_token, lead_token, account_id = seeded.stdout.split("SEEDED", 1)[1].split()
        # Half the generated ids are ones that exist, so approve/reject/effective-policy
        # get past their 404 and exercise the services behind them.
        (work / "schemathesis.toml").write_text(
            "[dictionaries.requests]\nvalues = [1, 2]\n"
            f'[dictionaries.accounts]\nvalues = ["{account_id}"]\n'
            "[parameters]\n"
            '"path.id" = { dictionary = "requests", probability = 0.5 }\n'
            '"path.account_id" = { dictionary = "accounts", probability = 0.5 }\n'
        )
        processes.append(
            _start(
                [
                    str(BIN / "gunicorn"),
                    "portal.wsgi",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                    "--timeout",
                    "60",
                ],
                env,
                work / "web.log",
            )
        )
        url = f"http://127.0.0.1:{web_port}"
        _wait_http(f"{url}/healthz", 30)
        yield LiveApi(url, admin_token, lead_token, work, env)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _post(url: str, token: str, body: dict[str, object], key: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_concurrent_requests_with_one_key_create_one_request(live_api: LiveApi) -> None:
    body = {
        "team": "race",
        "compliance_class": "general",
        "environments": ["dev", "prod"],
        "justification": "Two CI runners retrying at once",
    }
    url = f"{live_api.url}/api/v1/requests/"
    barrier = threading.Barrier(8)
    answers: list[tuple[int, dict[str, object]]] = []

    def fire() -> None:
        barrier.wait()
        answers.append(_post(url, live_api.lead_token, body, "race-key-1"))

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in answers] == [201] * 8, answers
    assert len({answer["id"] for _, answer in answers}) == 1
    listed = urllib.request.Request(
        f"{url}?team=race", headers={"Authorization": f"Token {live_api.lead_token}"}
    )
    with urllib.request.urlopen(listed, timeout=30) as answer:
        assert json.load(answer)["count"] == 1
    # The same key with another body is refused, even now.
    status, error = _post(url, live_api.lead_token, {**body, "environments": ["qa"]}, "race-key-1")
    assert status == 422
    assert error["error"]["code"] == "idempotency_key_reused"  # type: ignore[index]


def test_schemathesis_finds_no_5xx_and_nothing_off_schema(live_api: LiveApi) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [
            str(BIN / "st"),
            "run",
            f"{live_api.url}/api/schema/",
            "--checks",
            CHECKS,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            os.environ.get("VENDING_SCHEMATHESIS_SEED", "20261129"),
            # One worker: schemathesis's workers are threads, and on CPython 3.11 before
            # 3.11.8 two threads in the ast module at once (hypothesis reads a filter's
            # source to describe it) can fail with "AST constructor recursion depth
            # mismatch" (CPython gh-106905), which crashed the run now and then.
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--header",
            f"Authorization: Token {live_api.admin_token}",
            "--suppress-health-check",
            "all",
            "--no-color",
        ],
        cwd=live_api.workdir,
        env={**live_api.env, "NO_COLOR": "1", "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=280,
    )
    elapsed = time.monotonic() - started
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-4000:]
    assert elapsed < 240, f"schemathesis took {elapsed:.0f}s; keep it bounded"
