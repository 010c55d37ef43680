"""The Cost Explorer gateway against moto with seeded results: the request it makes
(MONTHLY, UnblendedCost, grouped by linked account, us-east-1), every page read,
dataclasses out, errors mapped (counting: tests/metrics/test_cost_explorer_calls.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from botocore.stub import Stubber
from moto import mock_aws

from vending.aws import AwsError, PermanentAwsError, TransientAwsError
from vending.aws.costs import COST_EXPLORER_REGION, METRIC, CostExplorerGateway

SEED_URL = "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results"


def period(start: str, end: str, groups: dict[str, str], *, estimated: bool = False) -> dict:
    return {
        "TimePeriod": {"Start": start, "End": end},
        "Total": {},
        "Groups": [
            {"Keys": [account], "Metrics": {METRIC: {"Amount": amount, "Unit": "USD"}}}
            for account, amount in groups.items()
        ],
        "Estimated": estimated,
    }


def seed(*pages: dict) -> None:
    """moto answers each new request with the next of these (its results queue)."""
    response = requests.post(SEED_URL, json={"results": list(pages)}, timeout=5)
    assert response.status_code == 201


@pytest.fixture
def gateway():
    with mock_aws():
        yield CostExplorerGateway()


def test_every_page_is_read_and_returned_as_dataclasses(gateway):
    seed(
        {
            "ResultsByTime": [
                period("2026-10-01", "2026-11-01", {"111111111111": "12.5", "222222222222": "3"})
            ],
            "DimensionValueAttributes": [
                {"Value": "111111111111", "Attributes": {"description": "checkout-dev"}}
            ],
            "NextPageToken": "page-2",
        },
        {
            "ResultsByTime": [
                period("2026-11-01", "2026-11-30", {"111111111111": "0.0101"}, estimated=True)
            ],
            "DimensionValueAttributes": [
                {"Value": "222222222222", "Attributes": {"description": "payments-qa"}}
            ],
        },
    )
    report = gateway.monthly_costs_by_account(start=date(2026, 10, 1), end=date(2026, 11, 30))
    assert report.calls == 2
    assert [(r.account_id, r.month, r.amount, r.estimated) for r in report.rows] == [
        ("111111111111", date(2026, 10, 1), Decimal("12.5"), False),
        ("222222222222", date(2026, 10, 1), Decimal("3"), False),
        ("111111111111", date(2026, 11, 1), Decimal("0.0101"), True),
    ]
    assert report.account_names == {
        "111111111111": "checkout-dev",
        "222222222222": "payments-qa",
    }


def test_the_request_is_monthly_unblended_by_linked_account_in_us_east_1(gateway):
    sent = []
    gateway.client.meta.events.register(
        "provide-client-params.cost-explorer.GetCostAndUsage",
        lambda params, **kw: sent.append(dict(params)),
    )
    report = gateway.monthly_costs_by_account(start=date(2026, 5, 1), end=date(2026, 11, 30))
    assert report.rows == () and report.calls == 1
    # Cost Explorer is served from us-east-1 (botocore calls the region "aws-global").
    assert gateway.client.meta.endpoint_url == f"https://ce.{COST_EXPLORER_REGION}.amazonaws.com"
    assert sent == [
        {
            "TimePeriod": {"Start": "2026-05-01", "End": "2026-11-30"},
            "Granularity": "MONTHLY",
            "Metrics": ["UnblendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
        }
    ]


def test_an_empty_period_is_refused_before_any_call(gateway):
    with pytest.raises(PermanentAwsError, match="must end after it starts"):
        gateway.monthly_costs_by_account(start=date(2026, 5, 1), end=date(2026, 5, 1))


def _refusal(gateway: CostExplorerGateway, code: str, status: int = 400) -> AwsError:
    """What the gateway raises when Cost Explorer answers `code` (botocore's Stubber)."""
    with Stubber(gateway.client) as stub:
        stub.add_client_error(
            "get_cost_and_usage",
            service_error_code=code,
            service_message="aws says",
            http_status_code=status,
        )
        with pytest.raises(AwsError) as caught:
            gateway.monthly_costs_by_account(start=date(2026, 5, 1), end=date(2026, 6, 1))
    return caught.value


def test_errors_are_mapped_to_transient_or_permanent_with_words(gateway):
    throttled = _refusal(gateway, "LimitExceededException")
    assert isinstance(throttled, TransientAwsError)
    assert throttled.operation == "GetCostAndUsage"
    assert isinstance(_refusal(gateway, "InternalError", 500), TransientAwsError)
    unavailable = _refusal(gateway, "DataUnavailableException")
    assert isinstance(unavailable, PermanentAwsError)
    assert "enable Cost Explorer" in str(unavailable)
    assert unavailable.aws_message == "aws says"
    denied = _refusal(gateway, "AccessDeniedException")
    assert "ce:GetCostAndUsage" in str(denied)
