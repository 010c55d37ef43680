"""CostExplorerGateway: what each account of the organization spent, month by month.

One method, one AWS action: `ce:GetCostAndUsage` (MONTHLY, grouped by LINKED_ACCOUNT),
called from the management account (the role of VENDING_ORG_ROLE_ARN when set), so one
set of calls answers for every account of the organization. Each call costs USD 0.01:
the caller decides how often (vending/services/costs.py). Cost Explorer's endpoint is in
us-east-1 whatever the portal's region (AWS_ENDPOINT_URL_COST_EXPLORER or
AWS_ENDPOINT_URL point it elsewhere, e.g. at the emulator).

The metric is UnblendedCost: what each account was charged, at the rates it was charged,
as the invoice lists it. BlendedCost averages reserved and on-demand rates across the
whole organization (an account's figure then depends on its neighbours), and
AmortizedCost spreads up-front commitments over months the bill does not show them in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from vending.aws.errors import AwsError, PermanentAwsError, TransientAwsError
from vending.aws.service_gateway import ServiceGateway
from vending.aws.session import GatewayConfig, gateway_config

COST_EXPLORER_REGION = "us-east-1"
METRIC = "UnblendedCost"
OPERATION = "GetCostAndUsage"
# Pages of one refresh at most: far more than an organization of thousands of accounts
# needs (AWS pages by result size); a token that never ends must not bill for ever.
MAX_PAGES = 100

# Cost Explorer's own error codes beyond those errors.py knows (API reference).
_TRANSIENT = frozenset({"LimitExceededException", "RequestChangedException"})
_WORDS = {
    "DataUnavailableException": (
        "Cost Explorer has no data for the organization yet: enable Cost Explorer in the "
        "management account's Billing console (the first figures take up to 24 hours)."
    ),
    "AccessDeniedException": (
        "The portal may not read costs: its role in the management account needs "
        "ce:GetCostAndUsage."
    ),
    "BillExpirationException": "Cost Explorer no longer holds figures that old.",
    "InvalidNextTokenException": "Cost Explorer refused its own page token; try again.",
}


@dataclass(frozen=True)
class AccountMonthCost:
    """What one linked account spent in one month (or in the month so far)."""

    account_id: str
    month: date  # the first day of the month
    amount: Decimal
    currency: str
    # AWS's figure may still change (the month is not closed, or not yet billed).
    estimated: bool


@dataclass(frozen=True)
class CostReport:
    rows: tuple[AccountMonthCost, ...]
    # Account id -> its name as Cost Explorer knows it (DimensionValueAttributes).
    account_names: dict[str, str]
    # How many GetCostAndUsage calls (pages) the report took.
    calls: int


class CostExplorerGateway(ServiceGateway):
    def __init__(self, config: GatewayConfig | None = None) -> None:
        super().__init__(config or GatewayConfig(region=COST_EXPLORER_REGION))

    def _new_client(self, session: boto3.Session, config: Config) -> Any:
        return session.client("ce", config=config)

    def monthly_costs_by_account(self, *, start: date, end: date) -> CostReport:
        """UnblendedCost per linked account per month from `start` (inclusive, the
        first day of a month) to `end` (exclusive), every page read."""
        if end <= start:
            raise PermanentAwsError(
                f"The period must end after it starts ({start} to {end}).", operation=OPERATION
            )
        kwargs: dict[str, Any] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "MONTHLY",
            "Metrics": [METRIC],
            "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
        }
        rows: list[AccountMonthCost] = []
        names: dict[str, str] = {}
        calls = 0
        while True:
            page = self._get_cost_and_usage(**kwargs)
            calls += 1
            rows += _rows(page)
            for attribute in page.get("DimensionValueAttributes", []):
                name = attribute.get("Attributes", {}).get("description", "")
                if attribute.get("Value") and name:
                    names[attribute["Value"]] = name
            token = page.get("NextPageToken")
            if not token:
                break
            if calls >= MAX_PAGES:
                raise PermanentAwsError(
                    f"Cost Explorer answered more than {MAX_PAGES} pages.", operation=OPERATION
                )
            kwargs["NextPageToken"] = token
        return CostReport(rows=tuple(rows), account_names=names, calls=calls)

    def _get_cost_and_usage(self, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._call("get_cost_and_usage", **kwargs)
        except AwsError as exc:
            raise _reworded(exc) from exc


def _reworded(mapped: AwsError) -> AwsError:
    """Cost Explorer's own codes: its throttling and changed-request codes are transient,
    and the refusals an admin can act on say what to do."""
    words = _WORDS.get(mapped.code)
    if mapped.code in _TRANSIENT and not isinstance(mapped, TransientAwsError):
        return TransientAwsError(
            words or mapped.message,
            code=mapped.code,
            operation=OPERATION,
            aws_message=mapped.aws_message,
        )
    if words:
        mapped.message = words
        mapped.args = (words,)
    return mapped


def _rows(page: dict[str, Any]) -> list[AccountMonthCost]:
    rows = []
    for period in page.get("ResultsByTime", []):
        month = date.fromisoformat(period["TimePeriod"]["Start"]).replace(day=1)
        estimated = bool(period.get("Estimated", False))
        for group in period.get("Groups", []):
            keys = group.get("Keys") or [""]
            metric = group.get("Metrics", {}).get(METRIC, {})
            rows.append(
                AccountMonthCost(
                    account_id=str(keys[0]),
                    month=month,
                    amount=_amount(metric.get("Amount", "0")),
                    currency=str(metric.get("Unit", "USD")) or "USD",
                    estimated=estimated,
                )
            )
    return rows


def _amount(text: Any) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation as exc:
        raise PermanentAwsError(
            f"Cost Explorer answered an amount that is not a number: {text!r}",
            operation=OPERATION,
        ) from exc


@cache
def get_cost_gateway() -> CostExplorerGateway:
    """The process-wide Cost Explorer gateway, configured from Django settings."""
    return CostExplorerGateway(replace(gateway_config(), region=COST_EXPLORER_REGION))
