"""The drift panel: honest before the first scan, a scan at start-up and on an admin's
request, the real interval in its words, and one finding repaired from the web (the
blueprint applied to that target only, confirmed first, audited)."""

from __future__ import annotations

import boto3
import pytest
from django.test import Client

from vending.choices import AuditAction, DriftKind
from vending.models import AuditEvent, DriftFinding, DriftScan
from vending.services.drift import org_drift_scan

pytestmark = pytest.mark.django_db


def signed_in(users, who: str, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(users[who])
    return client


def drift_panel(client: Client) -> str:
    html = client.get("/org/").content.decode()
    return html.split('id="h-drift"')[1].split("</section>")[0]


@pytest.mark.slow
def test_no_drift_is_not_claimed_before_a_scan_has_completed(users, moto_gateway):
    panel = drift_panel(signed_in(users, "approver1"))
    assert "No open drift" not in panel
    assert "no drift scan has completed" in panel
    DriftScan.objects.create(started_at="2026-01-01T00:00Z", error="AWS did not answer")
    panel = drift_panel(signed_in(users, "approver1"))
    assert "No open drift" not in panel and "failed" in panel
    org_drift_scan()
    assert "No open drift as of the scan" in drift_panel(signed_in(users, "approver1"))


@pytest.mark.parametrize(("seconds", "words"), [(900, "15 minutes"), (300, "5 minutes")])
def test_the_panel_names_the_interval_of_the_beat_schedule(
    users, moto_gateway, settings, seconds, words
):
    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    schedule["org-drift-scan"] = {**schedule["org-drift-scan"], "schedule": float(seconds)}
    settings.CELERY_BEAT_SCHEDULE = schedule
    assert f"Scans run every {words}" in drift_panel(signed_in(users, "approver1"))


def test_the_scheduler_asks_for_a_scan_when_it_starts(
    task_queue, django_capture_on_commit_callbacks
):
    from celery.signals import beat_init

    with django_capture_on_commit_callbacks(execute=True):
        beat_init.send(sender=None)
    assert [m[0] for m in task_queue.messages] == ["vending.org_drift_scan"]


def test_an_admin_scans_now_with_csrf_and_it_is_audited(
    users, task_queue, django_capture_on_commit_callbacks
):
    client = signed_in(users, "admin", csrf=True)
    assert client.post("/org/drift/scan/").status_code == 403  # no CSRF token
    assert task_queue.messages == []
    client.get("/org/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/org/drift/scan/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert [m[0] for m in task_queue.messages] == ["vending.org_drift_scan"]
    event = AuditEvent.objects.get(action=AuditAction.DRIFT_SCAN_REQUESTED)
    assert event.actor == users["admin"]


@pytest.mark.parametrize("who", ["approver1", "lead", "nobody"])
def test_only_admins_scan_now(users, task_queue, who):
    client = signed_in(users, who)
    assert client.post("/org/drift/scan/").status_code == 403
    assert client.get("/org/drift/scan/").status_code == 405
    assert task_queue.messages == []
    assert not AuditEvent.objects.filter(action=AuditAction.DRIFT_SCAN_REQUESTED).exists()


def test_the_panel_offers_scan_now_and_repair_to_admins_only(users, moto_gateway):
    org = moto_gateway.client
    hipaa = next(
        p["Id"]
        for p in org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
        if p["Name"] == "vending-class-hipaa"
    )
    target = org.list_targets_for_policy(PolicyId=hipaa)["Targets"][0]["TargetId"]
    org.detach_policy(PolicyId=hipaa, TargetId=target)
    org_drift_scan()
    finding = DriftFinding.objects.get(kind=DriftKind.ATTACHMENT_MISSING)
    admin = drift_panel(signed_in(users, "admin"))
    assert "Scan now" in admin and f"/org/drift/{finding.pk}/repair/" in admin
    approver = drift_panel(signed_in(users, "approver1"))
    assert "Scan now" not in approver and "/repair/" not in approver


# --- repair, against the emulator ---------------------------------------------------------


def aws(emulator):
    return boto3.client(
        "organizations", endpoint_url=emulator.endpoint_url, region_name="us-east-1"
    )


def ids(c) -> tuple[dict[str, str], dict[str, str]]:
    """OU path -> id, and SCP name -> id."""
    root = c.list_roots()["Roots"][0]["Id"]
    paths, pending = {"": root}, [("", root)]
    while pending:
        parent_path, parent_id = pending.pop()
        for ou in c.list_organizational_units_for_parent(ParentId=parent_id)["OrganizationalUnits"]:
            path = f"{parent_path}/{ou['Name']}".lstrip("/")
            paths[path] = ou["Id"]
            pending.append((path, ou["Id"]))
    policies = {
        p["Name"]: p["Id"] for p in c.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    }
    return paths, policies


def attached(c, target_id: str) -> set[str]:
    listed = c.list_policies_for_target(TargetId=target_id, Filter="SERVICE_CONTROL_POLICY")
    return {p["Name"] for p in listed["Policies"]}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("emulator_org")
def test_an_admin_repairs_one_finding_after_a_confirmation(users, emulator):
    c = aws(emulator)
    paths, policies = ids(c)
    c.detach_policy(PolicyId=policies["vending-class-hipaa"], TargetId=paths["HipaaOU"])
    c.detach_policy(PolicyId=policies["vending-class-pci"], TargetId=paths["PciOU"])
    org_drift_scan()
    hipaa = DriftFinding.objects.get(key="attach:HipaaOU:vending-class-hipaa")
    assert DriftFinding.objects.filter(key="attach:PciOU:vending-class-pci").exists()
    client = signed_in(users, "admin")

    confirm = client.get(f"/org/drift/{hipaa.pk}/repair/")
    assert confirm.status_code == 200
    changes = [c.summary for c in confirm.context["plan"].changes]
    assert changes == ["attach vending-class-hipaa"]
    assert attached(c, paths["HipaaOU"]) == {"FullAWSAccess"}  # a GET changes nothing
    assert 'name="csrfmiddlewaretoken"' in confirm.content.decode()

    response = client.post(f"/org/drift/{hipaa.pk}/repair/")
    assert response.status_code == 302
    assert attached(c, paths["HipaaOU"]) == {"FullAWSAccess", "vending-class-hipaa"}
    assert attached(c, paths["PciOU"]) == {"FullAWSAccess"}  # that target only
    hipaa.refresh_from_db()
    assert hipaa.resolved_at is not None
    event = AuditEvent.objects.get(action=AuditAction.DRIFT_REPAIRED)
    assert event.actor == users["admin"]
    assert event.data["key"] == hipaa.key
    assert event.data["changes"] == ["attach vending-class-hipaa"]
    assert (
        AuditEvent.objects.filter(action=AuditAction.ORG_CHANGED, actor=users["admin"]).count() == 1
    )
    # Repeating it is refused clearly and changes nothing.
    again = client.post(f"/org/drift/{hipaa.pk}/repair/", follow=True)
    assert "resolved already" in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.DRIFT_REPAIRED).count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("emulator_org")
def test_repairing_a_hand_attachment_keeps_the_target_restricted(users, emulator):
    """Detach-only drift on an OU that also lost its class SCP: the repair attaches
    before it detaches, so the OU never has fewer SCPs than it should."""
    c = aws(emulator)
    paths, policies = ids(c)
    c.detach_policy(PolicyId=policies["vending-class-pci"], TargetId=paths["PciOU"])
    c.attach_policy(PolicyId=policies["vending-suspended-deny-all"], TargetId=paths["PciOU"])
    org_drift_scan()
    extra = DriftFinding.objects.get(key="detach:PciOU:vending-suspended-deny-all")
    confirm = signed_in(users, "admin").get(f"/org/drift/{extra.pk}/repair/")
    assert [c.summary for c in confirm.context["plan"].changes] == [
        "attach vending-class-pci",
        "detach vending-suspended-deny-all",
    ]
    signed_in(users, "admin").post(f"/org/drift/{extra.pk}/repair/")
    assert attached(c, paths["PciOU"]) == {"FullAWSAccess", "vending-class-pci"}


@pytest.mark.parametrize("who", ["approver1", "lead", "nobody"])
def test_only_admins_repair(users, who):
    finding = DriftFinding.objects.create(
        key="attach:HipaaOU:vending-class-hipaa",
        kind=DriftKind.ATTACHMENT_MISSING,
        target="HipaaOU",
        detail="HipaaOU: attach vending-class-hipaa",
        first_seen="2026-01-01T00:00Z",
        last_seen="2026-01-01T00:00Z",
    )
    client = signed_in(users, who)
    assert client.get(f"/org/drift/{finding.pk}/repair/").status_code == 403
    assert client.post(f"/org/drift/{finding.pk}/repair/").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.DRIFT_REPAIRED).exists()


def test_accounts_nobody_requested_are_not_repaired_by_the_blueprint(users):
    finding = DriftFinding.objects.create(
        key="account_unknown:444444444444",
        kind=DriftKind.ACCOUNT_UNKNOWN,
        target="Root",
        detail="account 444444444444 was not created by a request",
        first_seen="2026-01-01T00:00Z",
        last_seen="2026-01-01T00:00Z",
    )
    response = signed_in(users, "admin").get(f"/org/drift/{finding.pk}/repair/", follow=True)
    assert "a person must decide" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.DRIFT_REPAIRED).exists()
