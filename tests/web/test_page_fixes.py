"""Pages that broke: the account page's services, dates in two formats, a missing
favicon, audit rows that did not name their target, the approval card's padding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from vending.audit_reading import audit_event_target
from vending.choices import AuditAction
from vending.models import AuditEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ONE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
# Formats pages used to mix in: "22 May 2026, 14:03 UTC" and a bare "2026-05-22 14:03".
OTHER_FORMATS = re.compile(
    r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
    r"|>\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?<"
)


def signed_in(users, who: str) -> Client:
    client = Client()
    client.force_login(users[who])
    return client


def test_favicon_is_served_and_linked(users):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.ico"
    found = finders.find("favicon.ico")
    assert found and Path(found).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = signed_in(users, "lead").get("/requests/").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico"' in page


def test_dates_are_written_one_way_on_every_page(users, fleet, drift):
    request = fleet["general"]
    pages = {
        "lead": ["/", "/requests/", f"/requests/{request.pk}/", "/tokens/"],
        "approver1": ["/approvals/", f"/approvals/{request.pk}/", "/audit/", "/org/"],
    }
    for who, paths in pages.items():
        client = signed_in(users, who)
        for path in paths:
            html = client.get(path).content.decode()
            assert not OTHER_FORMATS.search(html), (path, OTHER_FORMATS.search(html))
    audit = signed_in(users, "approver1").get("/audit/").content.decode()
    assert ONE_FORMAT.search(audit)
    assert ONE_FORMAT.search(
        signed_in(users, "lead").get(f"/requests/{request.pk}/").content.decode()
    )


def test_audit_rows_name_their_target(users, moto_gateway):
    """The blueprint apply (done by the fixture) wrote one row per change: each names
    the OU and SCP it changed."""
    events = list(AuditEvent.objects.filter(action=AuditAction.ORG_CHANGED))
    targets = {audit_event_target(e) for e in events}
    assert "HipaaOU · SCP vending-class-hipaa" in targets
    assert "HipaaOU/HipaaPciOU" in targets  # the OU created there
    assert "SCP vending-class-pci" in targets  # the policy created
    assert all(targets), [e.message for e in events if not audit_event_target(e)]
    html = signed_in(users, "approver1").get("/audit/?action=org.changed").content.decode()
    assert "HipaaOU · SCP vending-class-hipaa" in html


def test_the_explained_decision_does_not_restyle_the_approval_card():
    """`.decision` is the approval page's card; the explained action has its own class,
    so the card keeps the padding every card has."""
    css = (ROOT / "static" / "vending" / "portal.css").read_text()
    rules = re.findall(r"(?m)^([^{}@/]+)\{([^}]*)\}", css)
    for selectors, body in rules:
        names = [s.strip() for s in selectors.split(",")]
        if any(re.fullmatch(r"\.decision", n) for n in names):
            assert "padding" not in body and "border" not in body, selectors
    approval = (ROOT / "templates" / "vending" / "approvals" / "detail.html").read_text()
    assert 'class="card decision"' in approval
    explain = (ROOT / "templates" / "vending" / "accounts" / "_explain.html").read_text()
    assert 'class="decision ' not in explain
