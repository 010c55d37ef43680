"""Every Cost Explorer call (each costs USD 0.01) is counted, every page included, under
the other-services metric (service "cost-explorer"), never as an Organizations call."""

from __future__ import annotations

from datetime import date

import pytest
from moto import mock_aws

from tests.metrics.conftest import value
from tests.unit.test_cost_gateway import seed
from vending.aws.costs import CostExplorerGateway

pytestmark = pytest.mark.django_db


def test_every_page_is_a_counted_call(scraper):
    def count() -> float:
        return value(
            scraper.samples(),
            "vending_aws_calls_total",
            service="cost-explorer",
            operation="GetCostAndUsage",
            outcome="ok",
            code="",
        )

    with mock_aws():
        gateway = CostExplorerGateway()
        before = count()
        seed({"ResultsByTime": [], "NextPageToken": "2"}, {"ResultsByTime": []})
        gateway.monthly_costs_by_account(start=date(2026, 10, 1), end=date(2026, 11, 1))
        assert count() == before + 2
    organizations = [key for key in scraper.samples() if key[0].startswith("vending_organ")]
    assert not any(("operation", "GetCostAndUsage") in labels for _, labels in organizations)
