"""Spend through real processes: Cost Explorer figures seeded in the emulator (moto's
results queue) are read by the worker's periodic refresh (beat), kept in PostgreSQL, and
shown by the web server's API, CSV export and team page."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar

import pytest

from tests.system.harness import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]


def seed_cost_explorer(emulator_url: str, account_id: str) -> tuple[str, str]:
    """One answer in moto's queue: the account spent 412.30 last month, 17.25 so far."""
    today = datetime.now(tz=UTC).date()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)

    def period(start, end, amount, estimated):
        return {
            "TimePeriod": {"Start": f"{start}", "End": f"{end}"},
            "Total": {},
            "Groups": [
                {
                    "Keys": [account_id],
                    "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}},
                }
            ],
            "Estimated": estimated,
        }

    result = {
        "ResultsByTime": [
            period(last_month, this_month, "412.30", False),
            period(this_month, today + timedelta(days=1), "17.25", True),
        ],
        "DimensionValueAttributes": [
            {"Value": account_id, "Attributes": {"description": "checkout-dev"}}
        ],
    }
    request = urllib.request.Request(
        emulator_url + "/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": [result]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 201
    return f"{last_month:%Y-%m}", f"{this_month:%Y-%m}"


def get(url: str, token: str) -> tuple[str, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.headers["Content-Type"], answer.read().decode()


def signed_in_page(base: str, path: str, username: str, password: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(base + "/login/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    body = f"username={username}&password={password}&csrfmiddlewaretoken={csrf}".encode()
    request = urllib.request.Request(
        base + "/login/", data=body, headers={"Referer": base + "/login/"}
    )
    opener.open(request, timeout=10).read()
    return opener.open(base + path, timeout=10).read().decode()


def test_seeded_costs_are_fetched_by_the_worker_and_shown(make_portal):
    portal, emulator = make_portal(create_delay=1)
    # Exact figures from moto's queue instead of the demo's made-up ones.
    emulator.control("/_emulator/config", {"monthly_cost_usd": 0})
    portal.env.update({"VENDING_COST_CHECK_SECONDS": "1", "VENDING_COST_REFRESH_SECONDS": "3600"})
    portal.start_worker(beat=False)
    request_id = portal.submit(team="checkout", cls="general", envs=["dev"])
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    [account] = portal.wait_finished(request_id)["accounts"]
    last_month, this_month = seed_cost_explorer(emulator.url, account["account_id"])
    portal.start_worker(beat=True)  # beat's periodic check finds the figures due
    base = portal.start_web(free_port())
    token = portal.manage("create_api_token", "lead", "--expires-in", "1").splitlines()[0].strip()
    api = f"{base}/api/v1/teams/checkout/spend/"

    def refreshed() -> dict | None:
        spend = json.loads(get(api, token)[1])
        return spend if spend["refreshed_at"] else None

    spend = wait_for(refreshed, timeout=60, what="the first cost refresh")
    [row] = spend["accounts"]
    amounts = {m["month"]: m["amount"] for m in row["months"]}
    assert amounts[this_month] == "17.25" and amounts[last_month] == "412.30"
    assert spend["totals"][-1]["amount"] == "17.25"

    content_type, text = get(f"{api}?format=csv", token)
    assert content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert [this_month, account["account_id"], account["name"], "17.25", "USD"] in rows

    page = signed_in_page(base, "/teams/checkout/", "lead", "lead-demo-pass")
    assert "Spend of team checkout" in page and "412.30 USD" in page
    # One set of calls: beat checks every second, but the figures are not due again.
    time.sleep(3)
    with urllib.request.urlopen(base + "/metrics", timeout=10) as answer:
        metrics = answer.read().decode()
    calls = re.findall(
        r'^vending_aws_calls_total\{[^}]*operation="GetCostAndUsage"[^}]*\} (\S+)$',
        metrics,
        re.M,
    )
    assert [float(c) for c in calls] == [1.0], calls
