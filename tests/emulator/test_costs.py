"""Cost Explorer through the emulator: with ``monthly_cost_usd`` set it answers
GetCostAndUsage by linked account for the organization's accounts (AWS's shape, pages,
the month so far pro rata and estimated); without it, moto answers from its seeded
results queue."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import client, configure

BY_ACCOUNT = [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}]


def ask(ce, start: str, end: str, **extra):
    return ce.get_cost_and_usage(
        TimePeriod={"Start": start, "End": end},
        Granularity="MONTHLY",
        Metrics=["UnblendedCost"],
        GroupBy=BY_ACCOUNT,
        **extra,
    )


def all_pages(ce, start: str, end: str) -> tuple[list[dict], int]:
    pages, token = [], None
    while True:
        page = ask(ce, start, end, **({"NextPageToken": token} if token else {}))
        page.pop("ResponseMetadata", None)
        pages.append(page)
        token = page.get("NextPageToken")
        if not token:
            return pages, len(pages)


def test_figures_for_every_account_of_the_organization_in_pages(server, org):
    accounts = {org.create_account(f"acct-{i}", f"acct-{i}@example.com") for i in range(2)}
    accounts.add(org.management_account_id)
    configure(server, monthly_cost_usd=100, cost_page_size=4)
    ce = client(server, "ce")
    pages, calls = all_pages(ce, "2026-08-01", "2026-11-01")
    assert calls == 3  # 3 months x 3 accounts, 4 a page
    cells = {}
    for page in pages:
        assert page["GroupDefinitions"] == BY_ACCOUNT
        for result in page["ResultsByTime"]:
            assert not result["Estimated"]
            for group in result["Groups"]:
                amount = Decimal(group["Metrics"]["UnblendedCost"]["Amount"])
                assert group["Metrics"]["UnblendedCost"]["Unit"] == "USD"
                assert Decimal(30) <= amount <= Decimal(170)
                cells[(result["TimePeriod"]["Start"], group["Keys"][0])] = amount
    assert {account for _, account in cells} == accounts
    assert {month for month, _ in cells} == {"2026-08-01", "2026-09-01", "2026-10-01"}
    names = {
        a["Value"]: a["Attributes"]["description"]
        for p in pages
        for a in p["DimensionValueAttributes"]
    }
    assert "acct-0" in names.values()
    # The same question gets the same figures.
    again, _ = all_pages(ce, "2026-08-01", "2026-11-01")
    assert again == pages


def test_the_month_so_far_is_pro_rata_and_estimated(server, org):
    configure(server, monthly_cost_usd=300)
    ce = client(server, "ce")
    today = datetime.now(tz=UTC).date()
    first = today.replace(day=1)
    whole = ask(ce, f"{first}", f"{(first + timedelta(days=32)).replace(day=1)}")
    part = ask(ce, f"{first}", f"{today + timedelta(days=1)}")
    [whole_result], [part_result] = whole["ResultsByTime"], part["ResultsByTime"]
    assert part_result["Estimated"]
    amount = lambda r: Decimal(r["Groups"][0]["Metrics"]["UnblendedCost"]["Amount"])  # noqa: E731
    assert amount(part_result) <= amount(whole_result)


def test_a_bad_period_is_refused_as_aws_would(server, org):
    configure(server, monthly_cost_usd=10)
    with pytest.raises(ClientError) as raised:
        ask(client(server, "ce"), "2026-05-01", "2026-05-01")
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_without_figures_moto_answers_from_its_seeded_queue(server, org):
    seeded = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"},
                "Total": {},
                "Groups": [
                    {
                        "Keys": ["123456789012"],
                        "Metrics": {"UnblendedCost": {"Amount": "9.99", "Unit": "USD"}},
                    }
                ],
                "Estimated": False,
            }
        ],
        "DimensionValueAttributes": [],
    }
    request = urllib.request.Request(
        f"{server.endpoint_url}/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": [seeded]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 201
    result = ask(client(server, "ce"), "2026-10-01", "2026-11-01")
    assert result["ResultsByTime"] == seeded["ResultsByTime"]
