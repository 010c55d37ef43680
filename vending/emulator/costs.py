"""Cost Explorer's GetCostAndUsage answered with made-up figures for the accounts of the
caller's organization, so a demo's spend charts show something.

On when ``monthly_cost_usd`` (config, ``--monthly-cost-usd``) is above 0: each account
spends about that much a month (between 0.3 and 1.7 times it, fixed per account and
month, so two calls agree), the current month pro rata and marked estimated. Answered in
AWS's shape for MONTHLY granularity grouped by LINKED_ACCOUNT (UnblendedCost, and any
other cost metric asked for), ``cost_page_size`` groups a page with a NextPageToken.
Anything else, or with the setting at 0, goes to moto, whose results queue
(``/moto-api/static/ce/cost-and-usage-results``) tests seed.
"""

from __future__ import annotations

import hashlib
from calendar import monthrange
from datetime import date, timedelta
from typing import Any

from .protocol import Caller, OrganizationsError

TARGET_PREFIX = "AWSInsightsIndexService."
OPERATION = "GetCostAndUsage"


def answers(payload: dict[str, Any]) -> bool:
    """Whether this request is one the emulator answers (else moto does)."""
    group_by = payload.get("GroupBy") or []
    return payload.get("Granularity") == "MONTHLY" and group_by == [
        {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}
    ]


def _months(start: date, end: date) -> list[tuple[date, date]]:
    periods = []
    cursor = start
    while cursor < end:
        following = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        periods.append((cursor, min(following, end)))
        cursor = following
    return periods


def _factor(account_id: str, month: date) -> float:
    digest = hashlib.sha256(f"{account_id}:{month:%Y-%m}".encode()).digest()
    return 0.3 + 1.4 * digest[0] / 255


def _amount(account_id: str, start: date, end: date, monthly: float) -> float:
    days = monthrange(start.year, start.month)[1]
    return monthly * _factor(account_id, start.replace(day=1)) * (end - start).days / days


def _period(payload: dict[str, Any]) -> tuple[date, date]:
    try:
        period = payload["TimePeriod"]
        start, end = date.fromisoformat(period["Start"]), date.fromisoformat(period["End"])
    except (KeyError, TypeError, ValueError) as exc:
        raise OrganizationsError(
            "ValidationException", "TimePeriod needs Start and End as YYYY-MM-DD."
        ) from exc
    if end <= start:
        raise OrganizationsError("ValidationException", "Start date must be before End date.")
    return start, end


def cost_and_usage(
    caller: Caller, payload: dict[str, Any], *, monthly: float, page_size: int, today: date
) -> dict[str, Any]:
    """Long because the answer's shape (periods, groups, attributes, pages) is AWS's and
    reads best in one place."""
    start, end = _period(payload)
    backend = caller.backend()
    accounts = sorted(
        (a for a in backend.accounts if getattr(a, "status", "ACTIVE") == "ACTIVE"),
        key=lambda a: a.id,
    )
    metrics = [m for m in payload.get("Metrics") or ["UnblendedCost"] if m.endswith("Cost")]
    cells = [(p, a) for p in _months(start, end) for a in accounts]
    token = payload.get("NextPageToken")
    try:
        offset = int(token) if token else 0
    except ValueError as exc:
        raise OrganizationsError("InvalidNextTokenException", "Invalid page token.") from exc
    page = cells[offset : offset + page_size]
    results: dict[tuple[date, date], dict[str, Any]] = {}
    for (first, last), account in page:
        amount = f"{_amount(account.id, first, last, monthly):.10f}"
        result = results.setdefault(
            (first, last),
            {
                "TimePeriod": {"Start": first.isoformat(), "End": last.isoformat()},
                "Total": {},
                "Groups": [],
                "Estimated": last > today,
            },
        )
        result["Groups"].append(
            {
                "Keys": [account.id],
                "Metrics": {m: {"Amount": amount, "Unit": "USD"} for m in metrics},
            }
        )
    answer: dict[str, Any] = {
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
        "ResultsByTime": list(results.values()),
        "DimensionValueAttributes": [
            {"Value": a.id, "Attributes": {"description": a.name}}
            for a in {a.id: a for _, a in page}.values()
        ],
    }
    if offset + page_size < len(cells):
        answer["NextPageToken"] = str(offset + page_size)
    return answer
