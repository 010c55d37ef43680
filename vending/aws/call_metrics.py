"""Counts every Organizations call by operation and outcome, for the metrics endpoint.

botocore announces each API call it completes (`after-call`, once the answer is in and
its own retries are done) and each call that got no answer (`after-call-error`). One
handler on each, registered on every Organizations client the gateway builds, counts
them all: every page of a paginated list is a call, as AWS bills and throttles it.

The outcome is the gateway's own reading of the error (`map_client_error`,
`map_botocore_error`): `ok`, `transient` (worth retrying) or `permanent`, with AWS's
error code (or botocore's exception name) as `code`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from prometheus_client import Counter

from vending.aws.errors import TransientAwsError, map_botocore_error, map_client_error

logger = logging.getLogger(__name__)

ORGANIZATIONS_CALLS = Counter(
    "vending_organizations_calls",
    "AWS Organizations API calls made by the portal, by operation and outcome "
    "(ok, transient, permanent) and AWS's error code.",
    ["operation", "outcome", "code"],
)

# The other services the portal calls (Budgets, Account, Cost Explorer), counted the same way.
AWS_CALLS = Counter(
    "vending_aws_calls",
    "AWS API calls made by the portal to services other than Organizations (budgets, "
    "account, cost-explorer), by service, operation and outcome (ok, transient, permanent).",
    ["service", "operation", "outcome", "code"],
)

_EVENTS = "organizations"


def instrument_client(client: Any, service: str = _EVENTS) -> None:
    """Count the calls of this botocore client (idempotent per client); `service` is
    its event name (organizations, budgets, account, cost-explorer)."""
    events = client.meta.events
    answered: Callable[..., None]
    unanswered: Callable[..., None]
    if service == _EVENTS:
        answered, unanswered = _after_call, _after_call_error
    else:
        count = partial(_count_other, service)
        answered = partial(_after_call, count=count)
        unanswered = partial(_after_call_error, count=count)
    suffix = "" if service == _EVENTS else f"-{service}"
    events.register(f"after-call.{service}", answered, unique_id=f"vending-calls-answered{suffix}")
    events.register(
        f"after-call-error.{service}", unanswered, unique_id=f"vending-calls-unanswered{suffix}"
    )


def _after_call(
    *,
    http_response: Any,
    parsed: dict[str, Any],
    model: Any,
    count: Callable[[str, str, str], None] | None = None,
    **kwargs: Any,
) -> None:
    operation = str(model.name)
    tally = count or _count_organizations
    with _never_failing(operation):
        if http_response.status_code < 300:
            tally(operation, "ok", "")
            return
        override = (kwargs.get("context") or {}).get("error_code_override")
        if override:
            parsed = {**parsed, "Error": {**parsed.get("Error", {}), "Code": override}}
        error = map_client_error(ClientError(parsed, operation), operation)  # type: ignore[arg-type]
        tally(operation, _outcome(error), error.code)


def _after_call_error(
    *,
    exception: BaseException,
    event_name: str,
    count: Callable[[str, str, str], None] | None = None,
    **kwargs: Any,
) -> None:
    operation = event_name.rsplit(".", 1)[-1]
    tally = count or _count_organizations
    with _never_failing(operation):
        if isinstance(exception, BotoCoreError):
            error = map_botocore_error(exception, operation)
            tally(operation, _outcome(error), error.code)
        else:
            tally(operation, "permanent", type(exception).__name__)


def _outcome(error: Exception) -> str:
    return "transient" if isinstance(error, TransientAwsError) else "permanent"


def _count_organizations(operation: str, outcome: str, code: str) -> None:
    ORGANIZATIONS_CALLS.labels(operation=operation, outcome=outcome, code=code).inc()


def _count_other(service: str, operation: str, outcome: str, code: str) -> None:
    AWS_CALLS.labels(service=service, operation=operation, outcome=outcome, code=code).inc()


@contextmanager
def _never_failing(operation: str) -> Iterator[None]:
    # Counting must never break the call it counts (a full disk, a bad metrics folder).
    try:
        yield
    except Exception:
        logger.warning("Could not count the %s call in the metrics", operation, exc_info=True)
