"""The real UI in headless Chromium, against the real server, worker and emulator.

A lead requests hipaa_pci accounts for all four environments and sees the preview; two
approvers approve; the lead's request page shows four ready accounts without a reload.
Screenshots of each page are saved under test-artifacts/screenshots/ (or
VENDING_SCREENSHOT_DIR).

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

pytestmark = pytest.mark.slow

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


@pytest.fixture
def portal_url(tmp_path):
    with emulator_process(tmp_path, create_delay=3) as emulator:
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


def new_page(browser, violations: list[str]):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()

    def on_console(message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))
    return page


def sign_in(browser, url: str, username: str, violations: list[str]):
    page = new_page(browser, violations)
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
    shot(lead, "08-account")

    admin = sign_in(browser, url, "admin", csp_violations)
    admin.goto(f"{url}/org/")
    expect(admin.locator("body")).to_contain_text("HipaaPciOU")
    shot(admin, "09-organization")
    admin.goto(f"{url}/audit/")
    shot(admin, "10-audit")

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
