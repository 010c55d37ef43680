"""Calls to Budgets and the Account API are counted by service, operation and outcome,
apart from the Organizations calls."""

from __future__ import annotations

from decimal import Decimal

import pytest
from moto import mock_aws

from tests.metrics.conftest import Scraper, value
from vending.aws.account_contacts import AccountContactsGateway, AlternateContact
from vending.aws.budgets import BudgetsGateway

pytestmark = pytest.mark.django_db

CALLS = "vending_aws_calls_total"


def calls(scraper: Scraper, service: str, operation: str, outcome: str = "ok", code: str = ""):  # type: ignore[no-untyped-def]
    return value(
        scraper.samples(), CALLS, service=service, operation=operation, outcome=outcome, code=code
    )


def test_budgets_and_contacts_calls_are_counted(scraper):
    with mock_aws():
        budgets, contacts = BudgetsGateway(), AccountContactsGateway()
        before = calls(scraper, "budgets", "CreateBudget")
        missing = calls(scraper, "budgets", "DescribeBudget", "permanent", "NotFoundException")
        put = calls(scraper, "account", "PutAlternateContact")
        assert budgets.describe_budget(payer_id="123456789012", name="vending-1") is None
        budgets.create_budget(
            payer_id="123456789012",
            name="vending-1",
            amount=Decimal("5"),
            linked_account_id="111111111111",
            emails=["a@example.com"],
        )
        contacts.put_alternate_contact(
            account_id="111111111111",
            contact=AlternateContact("BILLING", "Ana", "Finance", "a@example.com", "1"),
        )
    assert calls(scraper, "budgets", "CreateBudget") == before + 1
    assert calls(scraper, "budgets", "DescribeBudget", "permanent", "NotFoundException") == (
        missing + 1
    )
    assert calls(scraper, "account", "PutAlternateContact") == put + 1
