"""The spend pages in headless Chromium, against the real server, worker (with beat) and
emulator (which makes up the demo's Cost Explorer figures, as `make run` does).

A lead's team gets three accounts; an admin asks for a refresh from the team's page;
the team's page, the account page and the lead's home page then show the figures, with
no Content-Security-Policy violation, and fit a 390 px screen. Screenshots go where the
walkthrough's go (13-team-spend, 14-account-spend, 15-home-lead)."""

from __future__ import annotations

import re

import pytest

from tests.browser import test_walkthrough as walkthrough
from tests.browser.test_walkthrough import _overflow, shot, sign_in
from tests.system.harness import Portal, emulator_process, free_port

pytestmark = [pytest.mark.slow, pytest.mark.serial]

# The walkthrough's fixtures: Chromium, and the CSP violations every page reports.
browser = walkthrough.browser
csp_violations = walkthrough.csp_violations


@pytest.fixture
def portal(tmp_path):
    with emulator_process(tmp_path, create_delay=1) as emulator:
        portal = Portal(
            tmp_path,
            database_url=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            broker_url="filesystem://localhost//",
            aws_url=emulator.url,
        )
        portal.env["VENDING_COST_CHECK_SECONDS"] = "1"
        try:
            portal.manage("portal_init")  # the demo: users, organization, made-up spend
            portal.start_worker(concurrency=2)
            portal.url = portal.start_web(free_port())  # type: ignore[attr-defined]
            yield portal
        except BaseException:
            print(portal.logs())
            raise
        finally:
            portal.stop()


def test_team_and_account_spend_charts(portal, browser, csp_violations):
    request_id = portal.submit(team="checkout", cls="general", envs=["dev", "test", "prod"])
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    accounts = portal.wait_finished(request_id)["accounts"]
    url = portal.url

    admin = sign_in(browser, url, "admin", csp_violations)
    admin.goto(f"{url}/teams/checkout/")
    admin.get_by_role("button", name="Refresh now").click()
    admin.wait_for_url(re.compile(r".*/teams/checkout/$"))
    for _ in range(30):  # the worker reads Cost Explorer within a few seconds
        if "Last refreshed from AWS Cost Explorer" in admin.content():
            break
        admin.wait_for_timeout(1000)
        admin.reload()
    assert "Last refreshed from AWS Cost Explorer" in admin.content()
    chart = admin.locator("svg[role=img]")
    assert "Spend of team checkout" in chart.locator("title").first.text_content()
    assert admin.locator("table.data tbody tr").count() == 3

    lead = sign_in(browser, url, "lead", csp_violations)
    lead.goto(f"{url}/teams/checkout/")
    assert "USD" in lead.locator("svg[role=img] desc").text_content()
    shot(lead, "13-team-spend")
    dev = next(a for a in accounts if a["environment"] == "dev")
    lead.goto(f"{url}/accounts/{dev['account_id']}/")
    assert lead.locator("#account-spend-title").text_content() == "Spend of account checkout-dev"
    lead.locator("#h-spend").scroll_into_view_if_needed()
    shot(lead, "14-account-spend")
    lead.goto(f"{url}/")
    assert lead.locator("#lead-accounts tbody tr").count() == 3
    shot(lead, "15-home-lead")

    phone = sign_in(browser, url, "lead", csp_violations, width=390)
    for path in ("/", "/teams/checkout/", f"/accounts/{dev['account_id']}/"):
        assert not _overflow(phone, url, path), path
