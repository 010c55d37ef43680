"""Counts every AWS call the portal makes by operation and outcome, for the metrics
endpoint: Organizations in its own counter, every other service (Identity Center's
sso-admin and identitystore, Budgets, the Account API, Cost Explorer) in one more.

botocore announces each API call it completes (`after-call`, once the answer is in and
its own retries are done) and each call that got no answer (`after-call-error`). One
handler on each, registered on every client the gateways build, counts them all: every
page of a paginated list is a call, as AWS bills and throttles it.

The outcome is the gateway's own reading of the error (`map_client_error`,
`map_botocore_error`): `ok`, `transient` (worth retrying) or `permanent`, with AWS's
error code (or botocore's exception name) as `code`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
AWS_CALLS = Counter(
    "vending_aws_calls",
    "AWS API calls made by the portal to services other than Organizations (sso-admin, "
    "identitystore, budgets, account, cost-explorer), by service, operation and outcome "
    "(ok, transient, permanent) and AWS's error code.",
    ["service", "operation", "outcome", "code"],
)

Count = Callable[[str, str, str], None]


def instrument_client(client: Any, *, transient: frozenset[str] = frozenset()) -> None:
    """Count the calls of this botocore client (idempotent per client): Organizations in
    ORGANIZATIONS_CALLS, any other service in AWS_CALLS (labelled with its name). `transient`:
    the service's own "try again" codes, read as its gateway reads them."""
    service = str(client.meta.service_model.service_id.hyphenize())
    count: Count = _count
    if service != "organizations":

        def count(operation: str, outcome: str, code: str) -> None:
            AWS_CALLS.labels(service=service, operation=operation, outcome=outcome, code=code).inc()

    def answered(**kwargs: Any) -> None:
        _after_call(count=count, transient=transient, **kwargs)

    def unanswered(**kwargs: Any) -> None:
        _after_call_error(count=count, **kwargs)

    events = client.meta.events
    events.register(f"after-call.{service}", answered, unique_id=f"vending-answered-{service}")
    events.register(
        f"after-call-error.{service}", unanswered, unique_id=f"vending-unanswered-{service}"
    )


def _after_call(
    *,
    http_response: Any,
    parsed: dict[str, Any],
    model: Any,
    count: Count,
    transient: frozenset[str],
    **kwargs: Any,
) -> None:
    operation = str(model.name)
    with _never_failing(operation):
        if http_response.status_code < 300:
            count(operation, "ok", "")
            return
        override = (kwargs.get("context") or {}).get("error_code_override")
        if override:
            parsed = {**parsed, "Error": {**parsed.get("Error", {}), "Code": override}}
        answer = ClientError(parsed, operation)  # type: ignore[arg-type]
        error = map_client_error(answer, operation, transient=transient)
        count(operation, _outcome(error), error.code)


def _after_call_error(
    *, exception: BaseException, event_name: str, count: Count, **kwargs: Any
) -> None:
    operation = event_name.rsplit(".", 1)[-1]
    with _never_failing(operation):
        if isinstance(exception, BotoCoreError):
            error = map_botocore_error(exception, operation)
            count(operation, _outcome(error), error.code)
        else:
            count(operation, "permanent", type(exception).__name__)


def _outcome(error: Exception) -> str:
    return "transient" if isinstance(error, TransientAwsError) else "permanent"


def _count(operation: str, outcome: str, code: str) -> None:
    ORGANIZATIONS_CALLS.labels(operation=operation, outcome=outcome, code=code).inc()


@contextmanager
def _never_failing(operation: str) -> Iterator[None]:
    # Counting must never break the call it counts (a full disk, a bad metrics folder).
    try:
        yield
    except Exception:
        logger.warning("Could not count the %s call in the metrics", operation, exc_info=True)
