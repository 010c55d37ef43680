"""Every kind of request on the real UI, in headless Chromium against the real server,
worker and emulator: a leased creation through the web form, then the invitation form
with its live preview (the demo's account outside the organization), the account page's
actions, change class (services gained and lost), decommission (closed or removed, and
when), extend; the approvals queue by kind; the invitation's handshake on the request
page, accepted as the account's owner would, until the account is ready in its OU. Each
page fits a 390 px screen.

The README's screenshots of these pages come from here (1280 px wide, cut at
SHOT_HEIGHT): run with VENDING_SCREENSHOT_DIR=docs/screenshots to refresh them.
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import date, timedelta

import pytest

from tests.browser import test_walkthrough as walkthrough
from tests.browser.test_walkthrough import SHOTS, _overflow, sign_in
from tests.system.harness import Portal, emulator_process, free_port

pytestmark = [pytest.mark.slow, pytest.mark.serial]

# The walkthrough's fixtures: one Chromium, and the CSP violations every page reports.
browser = walkthrough.browser
csp_violations = walkthrough.csp_violations

WIDTH = 1280
SHOT_HEIGHT = 1000
DEMO_ACCOUNT = "210987654321"  # made outside the organization by portal_init


@pytest.fixture
def lifecycle_portal(tmp_path):
    with emulator_process(tmp_path, create_delay=1) as emulator:
        portal = Portal(
            tmp_path,
            database_url=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            broker_url="filesystem://localhost//",
            aws_url=emulator.url,
        )
        # An accepted handshake is seen within seconds (as `make run` has it).
        portal.env["VENDING_LIFECYCLE_SYNC_SECONDS"] = "2"
        try:
            portal.manage("portal_init")
            portal.start_worker(concurrency=2)
            yield portal, portal.start_web(free_port()), emulator.url
        except BaseException:
            print(portal.logs())
            raise
        finally:
            portal.stop()


def doc_shot(page, name: str) -> None:
    """The top of the page, 1280 px wide: what the README shows."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
    page.screenshot(
        path=str(SHOTS / f"{name}.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": WIDTH, "height": height},
    )


def leased_accounts(portal: Portal, lead, url: str, lease: str) -> dict[str, str]:
    """Dev, test and qa general accounts with a lease, through the web form; approved
    from the shell. Answers their account ids by environment."""
    from playwright.sync_api import expect

    lead.goto(f"{url}/requests/new/")
    for env in ("Dev", "Test", "QA"):
        lead.get_by_label(env, exact=True).check()
    lead.locator("#id_expires_on").fill(lease)
    lead.get_by_label("Justification").fill("Reporting sandbox for the quarter")
    expect(lead.locator("#preview-body")).to_contain_text(f"Ends on {lease}")
    lead.get_by_role("button", name="Submit request").click()
    lead.wait_for_url(re.compile(r".*/requests/\d+/$"))
    request_id = lead.url.rstrip("/").rsplit("/", 1)[1]
    portal.manage("request_approve", request_id, "--as", "approver1")
    out = portal.manage("request_status", request_id, "--wait", "120", "--json", timeout=180)
    found = json.loads(out[out.index("{") : out.rindex("}") + 1])
    assert found["status"] == "completed", found
    return {a["environment"]: a["account_id"] for a in found["accounts"]}


def test_every_kind_has_its_page_with_its_preview(lifecycle_portal, browser, csp_violations):
    """Long because it walks one story through every kind's page, in order."""
    from playwright.sync_api import expect

    portal, url, emulator_url = lifecycle_portal
    lead = sign_in(browser, url, "lead", csp_violations, width=WIDTH)
    lease = (date.today() + timedelta(days=30)).isoformat()
    ids = leased_accounts(portal, lead, url, lease)

    lead.goto(f"{url}/accounts/{ids['qa']}/")
    expect(lead.locator("#h-actions")).to_be_visible()
    expect(lead.get_by_role("link", name="Extend the lease")).to_be_visible()
    expect(lead.locator(".service-list")).to_be_visible(timeout=30_000)
    doc_shot(lead, "25-account-actions")

    # Invite the demo's account outside the organization.
    lead.goto(f"{url}/accounts/")
    lead.get_by_role("link", name="Invite an existing account").click()
    lead.get_by_label("Account id or root e-mail").fill(DEMO_ACCOUNT)
    lead.get_by_label("HIPAA", exact=True).check()
    lead.get_by_label("Justification").fill("The analytics account joins checkout")
    preview = lead.locator("#preview-body")
    expect(preview).to_contain_text("HipaaOU")
    expect(preview).to_contain_text("0 of 20")
    expect(preview).to_contain_text("as soon as it is approved")
    doc_shot(lead, "20-invite-preview")
    lead.get_by_role("button", name="Submit the invitation").click()
    lead.wait_for_url(re.compile(r".*/requests/\d+/$"))
    invite_id = lead.url.rstrip("/").rsplit("/", 1)[1]

    # Change class: the services the account gains and loses.
    lead.goto(f"{url}/accounts/{ids['dev']}/change_class/")
    lead.get_by_label("HIPAA", exact=True).check()
    lead.get_by_role("button", name="Preview").click()
    expect(lead.locator(".services-lost")).to_be_visible()
    doc_shot(lead, "21-change-class")
    lead.get_by_label("Justification").fill("It will hold patient data")
    lead.get_by_role("button", name="Submit the request").click()
    lead.wait_for_url(re.compile(r".*/requests/\d+/$"))

    lead.goto(f"{url}/accounts/{ids['test']}/decommission/")
    expect(lead.locator("body")).to_contain_text("closed (CloseAccount)")
    expect(lead.locator("body")).to_contain_text("expected on")
    doc_shot(lead, "22-decommission")
    lead.get_by_label("Justification").fill("The test stage moves to qa")
    lead.get_by_role("button", name="Submit the request").click()
    lead.wait_for_url(re.compile(r".*/requests/\d+/$"))

    later = (date.today() + timedelta(days=60)).isoformat()
    lead.goto(f"{url}/accounts/{ids['qa']}/extend/")
    lead.get_by_label("The lease's new end").fill(later)
    lead.get_by_role("button", name="Preview").click()
    expect(lead.locator("body")).to_contain_text(f"{lease} → {later}")
    doc_shot(lead, "23-extend")
    lead.get_by_label("Justification").fill("The quarter's reports run late")
    lead.get_by_role("button", name="Submit the request").click()
    lead.wait_for_url(re.compile(r".*/requests/\d+/$"))

    approver = sign_in(browser, url, "approver1", csp_violations, width=WIDTH)
    approver.goto(f"{url}/approvals/")
    kinds = approver.locator("td.kind")
    for kind in ("Invite an existing account", "Change class", "Decommission", "Extend the lease"):
        expect(kinds.filter(has_text=kind)).to_have_count(1)
    doc_shot(approver, "24-approvals-kinds")
    approver.goto(f"{url}/approvals/{invite_id}/")
    approver.get_by_role("button", name="Approve").click()
    expect(approver.locator(".messages")).to_be_visible()

    # The invitation is sent: its handshake id to copy, and how its owner accepts.
    lead.goto(f"{url}/requests/{invite_id}/")
    handshake = lead.locator(".handshake-id")
    expect(handshake).to_have_text(re.compile(r"h-\w+"), timeout=60_000)
    expect(lead.locator(".accept-command")).to_contain_text(f"{emulator_url}/_emulator/handshakes/")
    doc_shot(lead, "26-invite-handshake")
    accept = urllib.request.Request(
        f"{emulator_url}/_emulator/handshakes/{handshake.inner_text()}/accept",
        data=b"{}",
        method="POST",
    )
    with urllib.request.urlopen(accept, timeout=5) as answer:  # loopback
        assert answer.status == 200
    expect(lead.locator(".account-status", has_text="Ready")).to_have_count(1, timeout=60_000)
    expect(lead.locator("body")).to_contain_text("HipaaOU")

    # The longest words an access row shows: an AWS error naming its operation and an ARN.
    portal.manage(
        "shell",
        "-c",
        "from vending.access_models import AccessAssignment as A;"
        f"A.objects.filter(account__account_id='{ids['qa']}').update(last_error="
        "'DescribeAccountAssignmentCreationStatus: arn:aws:sso:::permissionSet/"
        "ssoins-72230f6b2b3e5a1c/ps-2b6c8f1e9a4d7c30 is busy (will be retried)')",
    )
    too_wide = []
    phone = sign_in(browser, url, "lead", csp_violations, width=390)
    for path in (
        "/requests/invite/",
        f"/requests/{invite_id}/",
        f"/accounts/{DEMO_ACCOUNT}/",
        f"/accounts/{ids['qa']}/",
        f"/accounts/{ids['qa']}/extend/?expires_on={later}",
    ):
        too_wide += _overflow(phone, url, path)
    # With its preview shown (the invitation sent above counts towards the day's 20).
    phone.goto(f"{url}/requests/invite/")
    phone.get_by_label("Account id or root e-mail").fill("legacy-billing@example.com")
    expect(phone.locator("#preview-body")).to_contain_text("1 of 20")
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    if width > 390:
        too_wide.append(f"/requests/invite/ with its preview: {width} px")
    assert not too_wide, "pages wider than a 390 px screen:\n" + "\n".join(too_wide)
