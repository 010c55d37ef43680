"""The deployment files agree with the code: docker-compose.yml, Dockerfile, .env.example.

No Docker engine is needed: the files are parsed and every name they refer to (a
management command, a module, the Celery app, an environment variable) is resolved
against the project. Also checks that production settings pass `check --deploy`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import botocore
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ("web", "worker", "beat", "emulator")
SERVICES = ("postgres", "redis", *PROCESSES)
PORTAL_SERVICES = ("web", "worker", "beat")


@cache
def procfile() -> dict[str, str]:
    lines: dict[str, str] = {}
    for raw in (ROOT / "Procfile").read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        name, _, command = raw.partition(":")
        lines[name.strip()] = command.strip()
    return lines


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def shell_command(svc: dict[str, Any]) -> str:
    """The script of a `command: ["sh", "-c", SCRIPT]`, with Compose's `$$` unescaped."""
    command = svc["command"]
    assert isinstance(command, list) and command[:2] == ["sh", "-c"] and len(command) == 3
    script = command[2]
    # A single `$` would be substituted by Compose from the host, not by the container.
    assert "$" not in script.replace("$$", ""), f"unescaped $ in {script!r}"
    return script.replace("$$", "$")


# --- docker-compose.yml ---------------------------------------------------------------


def test_compose_has_every_service() -> None:
    assert set(SERVICES) <= set(compose()["services"])


def test_only_the_emulator_and_prometheus_are_behind_profiles() -> None:
    assert service("emulator")["profiles"] == ["demo"]
    assert service("prometheus")["profiles"] == ["metrics"]
    for name in compose()["services"]:
        if name not in ("emulator", "prometheus"):
            assert "profiles" not in service(name), name


@pytest.mark.parametrize("name", PROCESSES)
def test_process_command_is_the_procfile_line(name: str) -> None:
    assert shell_command(service(name)) == procfile()[name]


def test_dockerfile_default_command_is_the_procfile_web_line() -> None:
    cmd = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    ]
    assert len(cmd) == 1
    argv = json.loads(cmd[0].removeprefix("CMD"))
    assert argv[:2] == ["sh", "-c"] and argv[2] == procfile()["web"]


def test_dockerfile_is_production_shaped() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "pip install -c constraints.txt .\n" in text
    assert "[dev]" not in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^EXPOSE 8000$", text, re.M)
    # The dummy key belongs to the collectstatic RUN only, never to the image's ENV.
    assert re.search(r"RUN DJANGO_SECRET_KEY=\S+ \\\s+python manage.py collectstatic", text)
    env_block = "\n".join(re.findall(r"^ENV (?:.*\\\n)*.*$", text, re.M))
    assert "SECRET" not in env_block


def test_processes_listen_on_all_container_interfaces() -> None:
    assert environment(service("web"))["BIND"] == "0.0.0.0"
    assert environment(service("emulator"))["EMULATOR_HOST"] == "0.0.0.0"


def test_portal_services_share_the_environment() -> None:
    shared = {str(k): str(v) for k, v in compose()["x-portal-env"].items()}
    assert shared["DATABASE_URL"] == "postgres://vending:vending@postgres:5432/vending"
    assert shared["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert "DJANGO_ALLOWED_HOSTS" in shared
    for name in PORTAL_SERVICES:
        svc = service(name)
        assert shared.items() <= environment(svc).items(), name
        assert svc["env_file"] == [{"path": ".env", "required": False}], name
        for dependency in ("postgres", "redis"):
            assert svc["depends_on"][dependency] == {"condition": "service_healthy"}, name


def test_backing_services_have_healthchecks_and_volumes() -> None:
    postgres, redis = service("postgres"), service("redis")
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]
    assert redis["image"] == "redis:7"
    assert "ping" in redis["healthcheck"]["test"]


def test_web_healthcheck_probes_readiness() -> None:
    # /readyz: healthy only when the database, the broker and AWS answer, so worker and
    # beat (depends_on: service_healthy) start once the stack can work.
    assert "/readyz" in " ".join(service("web")["healthcheck"]["test"])
    # Only reached in the demo profile: the dependency must not be required.
    assert service("web")["depends_on"]["emulator"]["required"] is False


def test_no_literal_secrets() -> None:
    secret_key = compose()["x-portal-env"]["DJANGO_SECRET_KEY"]
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]+\}", secret_key)
    credential = re.compile(r"SECRET|TOKEN|ACCESS_KEY|PASSWORD")
    for name, svc in compose()["services"].items():
        for key, value in environment(svc).items():
            if key == "POSTGRES_PASSWORD":
                # The stack's own database on its internal network, as in DATABASE_URL.
                assert "ports" not in svc, "the database must not be published"
                continue
            if credential.search(key):
                assert value.startswith("${"), f"{name}.{key} is a literal secret"
            assert not re.search(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b", value), f"{name}.{key}"


# --- Prometheus (profile metrics) scrapes the web's /metrics with the token -------------


@cache
def prometheus_config() -> dict[str, Any]:
    prometheus = service("prometheus")
    [mount] = [v for v in prometheus["volumes"] if v.endswith(":/etc/prometheus/prometheus.yml:ro")]
    data = yaml.safe_load((ROOT / mount.split(":")[0]).read_text())
    assert isinstance(data, dict)
    return data


def test_prometheus_scrapes_the_web_metrics_endpoint() -> None:
    from django.urls import reverse

    [job] = prometheus_config()["scrape_configs"]
    assert job["metrics_path"] == reverse("metrics") == "/metrics"
    [target] = [t for group in job["static_configs"] for t in group["targets"]]
    host, port = target.split(":")
    assert host == "web" and port == environment(service("web"))["PORT"]
    # Django answers only to the names it knows: the service name is one by default.
    allowed = compose()["x-portal-env"]["DJANGO_ALLOWED_HOSTS"]
    assert "web" in allowed.removeprefix("${DJANGO_ALLOWED_HOSTS:-").removesuffix("}").split(",")
    assert "web" in service("prometheus")["depends_on"]


def test_prometheus_sends_the_token_web_checks_from_a_secret() -> None:
    [job] = prometheus_config()["scrape_configs"]
    authorization = job["authorization"]
    assert authorization["type"] == "Bearer" and "credentials" not in authorization
    [secret] = service("prometheus")["secrets"]
    assert authorization["credentials_file"] == f"/run/secrets/{secret['target']}"
    # Both read VENDING_METRICS_TOKEN from the environment (or .env): nothing is written down.
    assert compose()["secrets"][secret["source"]] == {"environment": "VENDING_METRICS_TOKEN"}
    assert environment(service("web"))["VENDING_METRICS_TOKEN"].startswith(
        "${VENDING_METRICS_TOKEN"
    )
    # Prometheus's UI has no sign-in: published on the host's loopback only.
    assert all(p.startswith("127.0.0.1:") for p in service("prometheus")["ports"])


def test_the_processes_that_count_share_the_metrics_folder() -> None:
    """Workers count Organizations calls and creations; web's scrape adds them up, so both
    mount one volume where the settings put PROMETHEUS_MULTIPROC_DIR in the image
    (<VENDING_VAR_DIR>/metrics, VENDING_VAR_DIR being /app/var), owned by the app user."""
    folder = "/app/var/metrics"
    for name in ("web", "worker"):
        mounts = [v for v in service(name)["volumes"] if v.endswith(f":{folder}")]
        assert mounts == [f"metrics-data:{folder}"], name
    assert "metrics-data" in compose()["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "WORKDIR /app\n" in dockerfile
    assert "mkdir -p /app/var/metrics" in dockerfile and "chown -R app:app /app/var" in dockerfile


# --- Everything the Procfile and the Makefile run exists ------------------------------


def _commands_text() -> str:
    return "\n".join([*procfile().values(), (ROOT / "Makefile").read_text()])


def test_management_commands_exist() -> None:
    from django.core.management import get_commands

    used = set(re.findall(r"manage\.py (\w+)", _commands_text()))
    assert "portal_init" in used
    missing = used - set(get_commands())
    assert not missing


def test_python_modules_exist() -> None:
    text = _commands_text()
    modules = set(re.findall(r"python -m ([\w.]+)", text))
    modules |= set(re.findall(r"gunicorn ([\w.]+)", text)) - {"portal.wsgi:application"}
    assert "vending.emulator" in modules and "portal.wsgi" in modules
    missing = [m for m in sorted(modules) if importlib.util.find_spec(m) is None]
    assert not missing


def test_celery_app_resolves() -> None:
    from celery import Celery
    from celery.app.utils import find_app

    apps = set(re.findall(r"celery -A (\S+)", _commands_text()))
    assert apps == {"portal"}
    # The lookup `celery -A portal` itself does.
    assert isinstance(find_app("portal"), Celery)


# --- .env.example -----------------------------------------------------------------------

_SOURCES = [
    *sorted((ROOT / "portal").rglob("*.py")),
    *sorted(p for p in (ROOT / "vending").rglob("*.py") if "migrations" not in p.parts),
]


@cache
def documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.M))


@cache
def botocore_variables() -> str:
    package = Path(botocore.__file__).parent
    return "\n".join(p.read_text() for p in package.glob("*.py"))


def _read_by_project(name: str) -> bool:
    quoted = re.compile(rf"[\"']{name}[\"']")
    if any(quoted.search(p.read_text()) for p in _SOURCES):
        return True
    expanded = re.compile(rf"\$[{{(]?{name}\b|^{name} \?=", re.M)
    return any(expanded.search((ROOT / f).read_text()) for f in ("Procfile", "Makefile"))


def _boto3_variable(name: str) -> bool:
    if not name.startswith("AWS_"):
        return False
    if f"'{name}'" in botocore_variables():
        return True
    # AWS_ENDPOINT_URL_<SERVICE>: botocore builds the name from the service id.
    service_name = name.removeprefix("AWS_ENDPOINT_URL_").lower().replace("_", "-")
    import boto3

    return name.startswith("AWS_ENDPOINT_URL_") and (
        service_name in boto3.session.Session().get_available_services()
    )


@pytest.mark.slow
def test_env_example_documents_only_variables_that_are_read() -> None:
    assert len(documented()) > 40
    unknown = sorted(n for n in documented() if not (_read_by_project(n) or _boto3_variable(n)))
    assert not unknown


def test_env_example_documents_every_setting() -> None:
    # settings.py and the modules it takes in (settings_security.py).
    settings = "\n".join(p.read_text() for p in sorted((ROOT / "portal").glob("settings*.py")))
    read = set(
        re.findall(r"\.(?:str|bool|int|float|list|json|db_url|url)\(\s*\"([A-Z0-9_]+)\"", settings)
    )
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "VENDING_VAR_DIR"} <= read
    assert not read - documented()


def test_env_example_documents_every_process_and_emulator_variable() -> None:
    names = set(re.findall(r"\$\{(\w+)", "\n".join(procfile().values())))
    names |= set(re.findall(r"^(\w+) \?=", (ROOT / "Makefile").read_text(), re.M))
    emulator_cli = (ROOT / "vending" / "emulator" / "cli.py").read_text()
    names |= set(re.findall(r"\"(EMULATOR_\w+)\"", emulator_cli))
    names |= {"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ORGANIZATIONS", "AWS_PROFILE"}
    assert {"PORT", "BIND", "WEB_CONCURRENCY", "WORKER_CONCURRENCY", "EMULATOR_SEED"} <= names
    assert not names - documented()


def test_env_example_holds_no_values_that_could_be_secrets() -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        pytest.fail(f"uncommented assignment in .env.example: {line!r}")


# --- Production settings ----------------------------------------------------------------


def _production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "VENDING_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
    )
    env.update(extra)
    return env


@pytest.mark.slow
@pytest.mark.serial
def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(VENDING_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.serial
def test_image_build_collectstatic_needs_no_database_nor_real_key(tmp_path: Path) -> None:
    """The Dockerfile's collectstatic step, with the same dummy key and nothing else."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    step = re.search(
        r"RUN (DJANGO_SECRET_KEY=\S+) \\\s+(python manage.py collectstatic[^\\]*)", dockerfile
    )
    assert step
    key = step.group(1).partition("=")[2]
    argv = shlex.split(step.group(2))
    argv[0] = sys.executable
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SECRET_KEY": key}
    env.update(VENDING_VAR_DIR=str(tmp_path / "var"), DJANGO_STATIC_ROOT=str(tmp_path / "static"))
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "vending" / "portal.css").is_file()
