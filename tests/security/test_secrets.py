"""No secret in the repository beyond the documented demo values, and none in the
database: session keys (bearer secrets) are stored as digests, like API tokens.

The logs of a whole running portal are checked by tests/system/test_secrets_in_logs.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]

# Values that look like secrets and are public on purpose; docs/security.md lists each.
DEMO_VALUES = {
    "testing",  # the emulator's AWS credentials (moto accepts any)
    "vending",  # docker-compose.yml's PostgreSQL password, on the stack's own network
    "build-only-collectstatic-dummy-key",  # the Dockerfile's key for collectstatic only
    "insecure-embedded-development-key-never-used-in-production",  # DEBUG's fallback key
}

# Shapes of real credentials, wherever they appear.
CREDENTIAL_SHAPES = {
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16}\b"),
    "an AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key\W{0,5}\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}\b"
    ),
    "a private key": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "a GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "a Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "a Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "a portal API token": re.compile(r"\bvpt_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
}
# A value given to a secret-named setting in configuration and documentation.
SECRET_SETTING = re.compile(
    r"\b(?P<name>[A-Z_]*(?:SECRET|PASSWORD|TOKEN|ACCESS_KEY)[A-Z_]*)[ \t]*(?::=|=|:)[ \t]*"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s\\]*)"
)
# A literal given to SECRET_KEY / PASSWORD in Python.
PYTHON_SECRET = re.compile(r"\b[A-Z_]*(?:SECRET_KEY|PASSWORD)\s*=\s*['\"](?P<value>[^'\"]+)['\"]")


def repository_files() -> list[Path]:
    """Every file the repository holds or would take in (tracked, or new and not ignored)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("SKIPPED LOUDLY: not a git checkout; the scan needs its file list")
    listed = subprocess.run(
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return [ROOT / name for name in sorted(set(listed.split("\0"))) if name]


def text_of(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None  # listed by git, removed from the work tree since
    if b"\0" in data[:4096]:
        return None  # binary: screenshots
    return data.decode("utf-8", errors="replace")


def credential_shapes_in(text: str) -> list[str]:
    return [what for what, shape in CREDENTIAL_SHAPES.items() if shape.search(text)]


def undocumented_secret_settings(text: str, *, python: bool) -> list[str]:
    found = []
    for match in (PYTHON_SECRET if python else SECRET_SETTING).finditer(text):
        value = match["value"].strip("\"'")
        name = match.groupdict().get("name") or ""
        if (
            not value
            or value.isdigit()
            or value.lower() in ("true", "false")
            or value.startswith(("$", "<", "http://", "https://", "{{"))
            or name.endswith(("_ENDPOINT", "_FILE", "_HEADER"))
            or value in DEMO_VALUES
            or value.endswith("-demo-pass")
        ):
            continue
        found.append(match.group(0))
    return found


@pytest.mark.slow
def test_the_repository_holds_no_credentials():
    offenders = []
    files = repository_files()
    for path in files:
        text = text_of(path)
        if text is None:
            continue
        relative = path.relative_to(ROOT)
        offenders += [f"{relative}: {what}" for what in credential_shapes_in(text)]
        if relative.parts[0] != "tests":  # tests make up throwaway values of their own
            offenders += [
                f"{relative}: {setting}"
                for setting in undocumented_secret_settings(text, python=path.suffix == ".py")
            ]
    assert len(files) > 100
    assert not offenders, "Secrets in the repository:\n" + "\n".join(offenders)


def test_the_scan_recognizes_each_kind_of_secret():
    """The control: samples built here at run time (so that this file holds none)."""
    samples = {
        "an AWS access key id": "AKIA" + "Q" * 16,
        "an AWS secret access key": "aws_secret_access_key = "
        + "wJalrXUtnFEMI/K7MDENG+bPxR"
        + "x" * 14,
        "a private key": "-----BEGIN " + "RSA PRIVATE KEY-----",
        "a GitHub token": "ghp_" + "a1" * 18,
        "a Slack token": "xoxb-" + "1234567890-abc",
        "a Google API key": "AIza" + "B" * 35,
        "a portal API token": "vpt_" + "x" * 43,
    }
    for what, sample in samples.items():
        assert credential_shapes_in(f"before {sample} after") == [what], what
    assert undocumented_secret_settings("POSTGRES_PASSWORD: " + "hunter22", python=False)
    assert undocumented_secret_settings("export VENDING_METRICS_" + "TOKEN=abc123", python=False)
    assert undocumented_secret_settings('SECRET_KEY = "' + 'live-key-123"', python=True)
    assert not undocumented_secret_settings("AWS_SECRET_ACCESS_KEY=testing", python=False)
    assert not undocumented_secret_settings(
        "DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY:?set}", python=False
    )


def test_each_demo_value_is_documented():
    documented = (ROOT / "docs" / "security.md").read_text()
    for value in [*sorted(DEMO_VALUES), "*-demo-pass"]:
        assert f"`{value}`" in documented, value


# -- the database ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_keys_are_stored_as_digests(users):
    client = Client()
    response = client.post("/login/", {"username": "lead", "password": "pw"})
    assert response.status_code == 302
    key = client.cookies["sessionid"].value
    stored = list(Session.objects.values_list("session_key", flat=True))
    assert len(stored) == 1 and key not in stored[0] and stored[0] not in key
    # The session works through its cookie, and a database reader's copy does not.
    assert client.get("/requests/").status_code == 200
    thief = Client()
    thief.cookies["sessionid"] = stored[0]
    assert thief.get("/requests/").status_code == 302
    # Signing out removes the row.
    client.post("/logout/")
    assert not Session.objects.exists()
