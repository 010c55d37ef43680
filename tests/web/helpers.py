"""Helpers of the web page tests."""

from __future__ import annotations

import re
from typing import Any

from vending.aws import PermanentAwsError, TransientAwsError
from vending.models import AccountRequest, Approval, Team, VendedAccount
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


def many_requests(
    users: dict[str, Any], teams: list[Team], count: int, *, cls: str, ou_path: str
) -> None:
    """`count` requests spread over `teams`, each with two accounts and one approval,
    written directly (fast enough for query-count tests)."""
    for i in range(count):
        req = AccountRequest.objects.create(
            team=teams[i % len(teams)],
            requester=users["lead"],
            compliance_class=cls,
            environments=["dev", "prod"],
            justification=f"Bulk {i}",
            approvals_required=2,
        )
        for env in ("dev", "prod"):
            VendedAccount.objects.create(
                request=req,
                environment=env,
                name=f"bulk-{i}-{env}",
                email=f"aws+bulk-{i}-{env}@example.com",
                target_ou_path=ou_path,
            )
        Approval.objects.create(request=req, approver=users["approver2"])


class AwsDown:
    """A gateway whose every call fails as when AWS does not answer."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> None:
            raise TransientAwsError("Connect timeout", code="ConnectTimeoutError")

        return fail


class AwsRefuses:
    """A gateway whose every call is refused (the portal's role lacks a permission)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> None:
            raise PermanentAwsError("not authorized", code="AccessDeniedException")

        return fail


def table_rows(html: str) -> int:
    return html.count("<tr>") - 1  # minus the header row
