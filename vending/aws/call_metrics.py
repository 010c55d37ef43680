"""Counts every Organizations (and Cost Explorer) call by operation and outcome, for the
metrics endpoint.

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
from collections.abc import Iterator
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

COST_EXPLORER_CALLS = Counter(
    "vending_cost_explorer_calls",
    "AWS Cost Explorer API calls made by the portal (each costs USD 0.01), by operation "
    "and outcome (ok, transient, permanent) and AWS's error code.",
    ["operation", "outcome", "code"],
)

# botocore's event prefix of each service the portal calls, and the counter of its calls.
_COUNTERS = {"organizations": ORGANIZATIONS_CALLS, "cost-explorer": COST_EXPLORER_CALLS}


def instrument_client(client: Any, *, service: str = "organizations") -> None:
    """Count the calls of this botocore client (idempotent per client); `service` is
    botocore's event name of its service ("organizations", "cost-explorer")."""
    events = client.meta.events
    events.register(
        f"after-call.{service}", _after_call, unique_id=f"vending-calls-answered-{service}"
    )
    events.register(
        f"after-call-error.{service}",
        _after_call_error,
        unique_id=f"vending-calls-unanswered-{service}",
    )


def _counter(event_name: str) -> Counter:
    # "after-call.cost-explorer.GetCostAndUsage": the service is the second part.
    parts = event_name.split(".")
    return _COUNTERS.get(parts[1] if len(parts) > 2 else "", ORGANIZATIONS_CALLS)


def _after_call(*, http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
    operation = str(model.name)
    with _never_failing(operation):
        counter = _counter(str(kwargs.get("event_name", "")))
        if http_response.status_code < 300:
            _count(operation, "ok", "", counter)
            return
        override = (kwargs.get("context") or {}).get("error_code_override")
        if override:
            parsed = {**parsed, "Error": {**parsed.get("Error", {}), "Code": override}}
        error = map_client_error(ClientError(parsed, operation), operation)  # type: ignore[arg-type]
        _count(operation, _outcome(error), error.code, counter)


def _after_call_error(*, exception: BaseException, event_name: str, **kwargs: Any) -> None:
    operation = event_name.rsplit(".", 1)[-1]
    with _never_failing(operation):
        counter = _counter(event_name)
        if isinstance(exception, BotoCoreError):
            error = map_botocore_error(exception, operation)
            _count(operation, _outcome(error), error.code, counter)
        else:
            _count(operation, "permanent", type(exception).__name__, counter)


def _outcome(error: Exception) -> str:
    return "transient" if isinstance(error, TransientAwsError) else "permanent"


def _count(operation: str, outcome: str, code: str, counter: Counter = ORGANIZATIONS_CALLS) -> None:
    counter.labels(operation=operation, outcome=outcome, code=code).inc()


@contextmanager
def _never_failing(operation: str) -> Iterator[None]:
    # Counting must never break the call it counts (a full disk, a bad metrics folder).
    try:
        yield
    except Exception:
        logger.warning("Could not count the %s call in the metrics", operation, exc_info=True)
