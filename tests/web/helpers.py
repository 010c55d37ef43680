"""Helpers of the web page tests."""

from __future__ import annotations

import re
from typing import Any

from vending.models import AccountRequest, Team
from vending.services.requests import account_request_create

SCRIPT = "<script>alert('x')</script>"


def submit(
    users: dict[str, Any],
    team: Team,
    *,
    cls: str = "general",
    envs: tuple[str, ...] = ("dev",),
    who: str = "lead",
    justification: str = "New service",
) -> AccountRequest:
    return account_request_create(
        requester=users[who],
        team=team,
        compliance_class=cls,
        environments=list(envs),
        justification=justification,
    )


def messages(html: str) -> list[str]:
    """The texts of the page's flash messages."""
    return [m.strip() for m in re.findall(r'<li class="message[^"]*">(.*?)</li>', html, re.S)]
