"""The local emulator's control endpoints that the demo set-up uses (`/_emulator/...`,
plain JSON over HTTP: not an AWS API, so no boto3). Only for the embedded demo: real AWS
has no such endpoints."""

from __future__ import annotations

import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from vending.aws.errors import PermanentAwsError, TransientAwsError

TIMEOUT_SECONDS = 5


def _call(endpoint_url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    if urlsplit(endpoint_url).scheme not in ("http", "https"):
        raise PermanentAwsError(f"The emulator's endpoint is not an http(s) URL: {endpoint_url}")
    request = Request(  # noqa: S310 - the scheme is checked above
        f"{endpoint_url.rstrip('/')}/_emulator{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return dict(json.load(response))
    except HTTPError as exc:
        answer = json.loads(exc.read() or b"{}")
        raise PermanentAwsError(str(answer.get("error") or exc), code=str(exc.code)) from exc
    except (URLError, OSError) as exc:
        raise TransientAwsError(f"The emulator at {endpoint_url} did not answer: {exc}") from exc


def emulator_standalone_account_ensure(
    *, endpoint_url: str, account_id: str, name: str, email: str
) -> str:
    """An account outside any organization with this id, made unless it exists: answers
    "created", "standalone" (made before, not invited yet) or "member" (made before and
    since invited into an organization)."""
    listed = _call(endpoint_url, "/accounts").get("accounts", [])
    if any(a.get("account_id") == account_id for a in listed):
        return "standalone"
    try:
        _call(
            endpoint_url,
            "/accounts",
            {"account_id": account_id, "name": name, "email": email},
        )
    except PermanentAwsError as exc:
        if "already exists" in exc.message:
            return "member"
        raise
    return "created"


def emulator_config_update(*, endpoint_url: str, patch: dict[str, Any]) -> None:
    """Change the emulator's settings (`/_emulator/config`), e.g. the demo's spend."""
    _call(endpoint_url, "/config", patch)
