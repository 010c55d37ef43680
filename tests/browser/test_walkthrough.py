"""The real UI in headless Chromium, against the real server, worker and emulator.

A lead requests hipaa_pci accounts for all four environments and sees the preview; two
approvers approve; the lead's request page shows four ready accounts without a reload.
Screenshots of each page are saved under test-artifacts/screenshots/ (or
VENDING_SCREENSHOT_DIR).

Then an account is moved by hand and an admin asks for a drift scan: the accounts list
marks it, the drift table fits a 1366 px screen, and every page fits a 390 px one (no
horizontal overflow: `document.scrollingElement.scrollWidth <= innerWidth`).

The server sends its Content-Security-Policy as in production; every page visited
reports each violation (the `securitypolicyviolation` event, and Chromium's console
message), and any violation fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.system.harness import ROOT, Portal, emulator_process, free_port

pytestmark = [pytest.mark.slow, pytest.mark.serial]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("VENDING_SCREENSHOT_DIR", ROOT / "test-artifacts" / "screenshots"))
PASSWORDS = {
    "lead": "lead-demo-pass",
    "approver1": "approver1-demo-pass",
    "approver2": "approver2-demo-pass",
    "admin": "admin-demo-pass",
}


def require_chromium() -> None:
    if Path(CHROMIUM).is_file():
        return
    message = "Debian's chromium is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must have it", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {message}")


EMULATOR_URL: dict[str, str] = {}


@pytest.fixture
def portal_url(tmp_path):
    with emulator_process(tmp_path, create_delay=3) as emulator:
        EMULATOR_URL["url"] = emulator.url
        portal = Portal(
            tmp_path,
            database_url=f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            broker_url="filesystem://localhost//",
            aws_url=emulator.url,
        )
        try:
            portal.manage("portal_init")
            portal.start_worker(concurrency=2)
            yield portal.start_web(free_port())
        except BaseException:
            print(portal.logs())  # shown by pytest when the test fails
            raise
        finally:
            portal.stop()


@pytest.fixture
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield instance
        instance.close()


# Each page reports every CSP violation to the console, where the test collects it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber} on ${document.location.pathname}`);
});
"""


@pytest.fixture
def csp_violations():
    """Every CSP violation any page of the test met; the test fails if one is left."""
    found: list[str] = []
    yield found
    assert not found, "Content-Security-Policy violations:\n" + "\n".join(found)


def new_page(browser, violations: list[str], width: int = 1366):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()

    def on_console(message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))
    return page


def sign_in(browser, url: str, username: str, violations: list[str], width: int = 1366):
    page = new_page(browser, violations, width)
    page.set_default_timeout(20_000)
    page.goto(f"{url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
    return page


MAX_SHOT_HEIGHT = 2000


def shot(page, name: str) -> None:
    """The whole page, cut at MAX_SHOT_HEIGHT pixels (the services list runs long)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT)
    width = page.viewport_size["width"] if page.viewport_size else 1366
    page.screenshot(
        path=str(SHOTS / f"{name}.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": height},
    )


def test_lead_requests_two_approvers_approve_accounts_arrive_live(
    portal_url, browser, csp_violations
):
    from playwright.sync_api import expect

    url = portal_url
    lead = sign_in(browser, url, "lead", csp_violations)
    shot(lead, "01-home-lead")

    lead.goto(f"{url}/requests/new/")
    lead.get_by_label("Team").select_option("checkout")
    for env in ("Dev", "Test", "QA", "Prod"):
        lead.get_by_label(env, exact=True).check()
    lead.get_by_label("HIPAA + PCI DSS").check()
    lead.get_by_label("Justification").fill("Claims pipeline handling PHI and card data")
    preview = lead.locator("#preview-body")
    expect(preview).to_contain_text("HipaaOU/HipaaPciOU")
    expect(preview).to_contain_text("aws+checkout-prod@example.com")
    expect(preview).to_contain_text("2 approvals")
    shot(lead, "02-new-request-preview")
    lead.get_by_role("button", name="Submit request").click()
    lead.wait_for_url(re.compile(r".*/requests/\d+/$"))
    request_url = lead.url
    request_id = request_url.rstrip("/").rsplit("/", 1)[1]
    expect(lead.locator("body")).to_contain_text("Pending approval")
    # A marker that a reload or navigation would wipe out.
    lead.evaluate("window.__notReloaded = true")
    shot(lead, "03-request-pending")

    for number, approver in enumerate(("approver1", "approver2"), start=1):
        page = sign_in(browser, url, approver, csp_violations)
        page.goto(f"{url}/approvals/")
        expect(page.locator("body")).to_contain_text(f"#{request_id}")
        shot(page, f"04-approvals-queue-{approver}")
        page.goto(f"{url}/approvals/{request_id}/")
        if number == 1:
            expect(page.locator("body")).to_contain_text("allowed", timeout=30_000)
            shot(page, "05-approval-page")
        page.get_by_label("Comment").fill(f"Looks right ({approver})")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".messages")).to_be_visible()
        page.context.close()

    # The lead's page, never reloaded, shows each account arrive.
    ready = lead.locator(".account-status", has_text="Ready")
    expect(ready).to_have_count(4, timeout=120_000)
    assert lead.evaluate("window.__notReloaded") is True
    assert lead.url == request_url
    expect(lead.locator("body")).to_contain_text("Completed")
    shot(lead, "06-request-ready")

    lead.goto(f"{url}/accounts/")
    shot(lead, "07-accounts")
    lead.get_by_role("link", name="checkout-prod").click()
    expect(lead.locator("body")).to_contain_text("HipaaOU/HipaaPciOU")
    expect(lead.locator(".service-list")).to_be_visible(timeout=30_000)
    shot(lead, "08-account")
    # Its 400-odd services scroll inside their list: the page stays short.
    assert lead.evaluate("document.scrollingElement.scrollHeight") < 3000
    account_id = lead.url.rstrip("/").rsplit("/", 1)[1]

    admin = sign_in(browser, url, "admin", csp_violations)
    admin.goto(f"{url}/org/")
    expect(admin.locator("body")).to_contain_text("HipaaPciOU")
    shot(admin, "09-organization")
    finding = hand_moved_account_is_drift(lead, admin, url, account_id)
    admin.goto(f"{url}/audit/")
    shot(admin, "10-audit")
    assert fits_its_box(admin, ".table-scroll"), "the audit table is wider than 1366 px"

    # The API tokens page: a token is created and its secret shown, once.
    lead.goto(f"{url}/tokens/")
    lead.get_by_label("Name").fill("laptop")
    lead.get_by_role("button", name="Create token").click()
    expect(lead.locator("#new-token-secret")).to_contain_text("vpt_")
    shot(lead, "11-api-tokens")
    # Swagger UI renders under the same policy.
    lead.goto(f"{url}/api/docs/")
    expect(lead.locator("#swagger-ui")).to_contain_text("/api/v1/requests/", timeout=30_000)
    # The Django admin, where admins lift sign-in lockouts and revoke tokens.
    for path in ("/admin/", "/admin/vending/apitoken/", "/admin/axes/accessattempt/"):
        admin.goto(url + path)
        expect(admin.locator("#content")).to_be_visible()

    # The control: the policy is on, and a violation is caught (then set aside).
    seen = len(csp_violations)
    admin.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__inlineRan = true'; document.body.append(s); }"
    )
    admin.wait_for_timeout(500)
    assert admin.evaluate("window.__inlineRan") is None
    assert len(csp_violations) > seen, "an inline script ran or went unreported"
    del csp_violations[seen:]

    every_page_fits_a_phone(browser, url, csp_violations, request_id, account_id, finding)


def hand_moved_account_is_drift(lead, admin, url: str, account_id: str) -> str:
    """Someone moves the account at the AWS console; an admin scans now. Returns the
    repair page's path for the finding."""
    import boto3
    from playwright.sync_api import expect

    org = boto3.client(
        "organizations",
        endpoint_url=EMULATOR_URL["url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    root = org.list_roots()["Roots"][0]["Id"]
    ous = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    general = next(ou["Id"] for ou in ous if ou["Name"] == "GeneralOU")
    source = org.list_parents(ChildId=account_id)["Parents"][0]["Id"]
    org.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=general)

    admin.goto(f"{url}/org/")
    admin.get_by_role("button", name="Scan now").click()
    expect(admin.locator(".messages")).to_contain_text("drift scan is queued")
    for _ in range(60):  # the worker runs the scan
        admin.goto(f"{url}/org/")
        if admin.locator(".drift-table").count():
            break
        admin.wait_for_timeout(500)
    expect(admin.locator(".drift-table")).to_contain_text("Account in the wrong OU")
    # The table fits a 1366 px screen: nothing is cut off or scrolled away.
    assert fits_its_box(admin, ".drift .table-scroll"), "the drift table is wider than 1366 px"
    shot(admin, "09b-drift")
    lead.goto(f"{url}/accounts/")
    row = lead.locator("tr", has_text=account_id)
    expect(row).to_contain_text("Drift")
    expect(row).to_contain_text("GeneralOU")
    repair = admin.locator(".drift-table a", has_text="Repair").first.get_attribute("href")
    assert repair
    return repair


def fits_its_box(page, selector: str) -> bool:
    return bool(
        page.evaluate(
            "(selector) => { const s = document.querySelector(selector);"
            " return s.scrollWidth <= s.clientWidth; }",
            selector,
        )
    )


def every_page_fits_a_phone(browser, url, violations, request_id, account_id, repair) -> None:
    """At 390 px, no page is wider than the screen (the header wraps, tables scroll
    inside their box). The approval page's decision card keeps its padding."""
    pages = {
        "lead": [
            "/", "/requests/", "/requests/new/", "/requests/invite/", f"/requests/{request_id}/",
            "/accounts/",
            f"/accounts/{account_id}/", "/org/", "/tokens/",
        ],
        "approver1": ["/approvals/", f"/approvals/{request_id}/", "/audit/", "/org/"],
        "admin": ["/org/", repair, "/audit/?action=org.changed"],
    }  # fmt: skip
    too_wide = []
    anonymous = new_page(browser, violations, width=390)
    for path in ("/login/", "/"):
        too_wide += _overflow(anonymous, url, path)
    anonymous.context.close()
    for who, paths in pages.items():
        page = sign_in(browser, url, who, violations, width=390)
        for path in paths:
            too_wide += _overflow(page, url, path)
            if path == f"/approvals/{request_id}/":
                padding = page.evaluate(
                    "parseFloat(getComputedStyle(document.querySelector('.card.decision'))"
                    ".paddingTop)"
                )
                assert padding >= 12, f"the decision card lost its padding ({padding}px)"
        shot(page, f"12-phone-{who}")
        page.context.close()
    assert not too_wide, "pages wider than a 390 px screen:\n" + "\n".join(too_wide)


# The elements that stick out past the screen's right edge (outside any box that
# scrolls sideways), to name in the failure.
STICKING_OUT = """() => {
  const scrolls = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !scrolls(el))
    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`
      + ` (${Math.round(el.getBoundingClientRect().right)} px)`)
    .slice(0, 6);
}"""


def _overflow(page, url: str, path: str) -> list[str]:
    page.goto(url + path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    if width <= inner:
        return []
    return [f"{path}: {width} px > {inner} px: {', '.join(page.evaluate(STICKING_OUT))}"]
