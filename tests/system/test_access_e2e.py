"""Access through IAM Identity Center end to end, through real processes (PostgreSQL,
Redis, a Celery worker with beat, the emulator whose assignments are asynchronous): a
vended account's team group gets the blueprint's permission sets, listed by sso-admin's
ListAccountAssignments, and loses them when the account is decommissioned."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.system.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.services]

ACCESS = """
import json
from vending.models import VendedAccount
from vending.selectors.access import account_access_read
a = VendedAccount.objects.get(account_id="{account_id}")
print(json.dumps([[r.group, r.permission_set, r.status] for r in account_access_read(a).rows]))
"""
DECOMMISSION = """
from django.contrib.auth import get_user_model
from vending.choices import RequestKind
from vending.services.lifecycle_requests import account_change_request_create
r = account_change_request_create(requester=get_user_model().objects.get(username="lead"),
    kind=RequestKind.DECOMMISSION, account_id="{account_id}", justification="System test")
print(r.pk)
"""


def identity_center(url: str) -> dict[str, Any]:
    """The emulator's instance, permission set ARNs by name and group ids by name."""
    keys = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    sso = boto3.client("sso-admin", **keys)
    store = boto3.client("identitystore", **keys)
    instance = sso.list_instances()["Instances"][0]
    arn = instance["InstanceArn"]
    sets = {
        sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=p)["PermissionSet"]["Name"]: p
        for p in sso.list_permission_sets(InstanceArn=arn)["PermissionSets"]
    }
    groups = {
        g["DisplayName"]: g["GroupId"]
        for g in store.list_groups(IdentityStoreId=instance["IdentityStoreId"])["Groups"]
    }
    return {"sso": sso, "instance": arn, "sets": sets, "groups": groups}


def listed(ic: dict[str, Any], account_id: str, permission_set: str) -> list[str]:
    return [
        a["PrincipalId"]
        for a in ic["sso"].list_account_assignments(
            InstanceArn=ic["instance"],
            AccountId=account_id,
            PermissionSetArn=ic["sets"][permission_set],
        )["AccountAssignments"]
    ]


def test_a_vended_account_gets_access_and_loses_it_when_decommissioned(make_portal):
    portal, emulator = make_portal(create_delay=1)
    portal.env["VENDING_ACCESS_POLL_SECONDS"] = "0.5"
    emulator.control("/_emulator/config", {"assignment_delay_seconds": 2, "close_delay_seconds": 1})
    portal.start_worker()
    request_id = portal.submit(team="checkout", cls="general", envs=["prod"])
    portal.manage("request_approve", str(request_id), "--as", "approver1")
    status = portal.wait_finished(request_id)
    assert status["status"] == "completed", status
    account_id = status["accounts"][0]["account_id"]

    def access() -> list[list[str]]:
        out = portal.manage("shell", "-c", ACCESS.format(account_id=account_id))
        return sorted(json.loads(out.strip().splitlines()[-1]))

    # portal_init made the blueprint's permission sets and the team's group in the emulator.
    ic = identity_center(emulator.url)
    group = ic["groups"]["checkout"]
    wait_for(
        lambda: access() == [["checkout", "BreakGlassAccess", "assigned"],
                             ["checkout", "ReadOnlyAccess", "assigned"]],
        timeout=60, what="the access assigned", every=1,
    )  # fmt: skip
    assert listed(ic, account_id, "ReadOnlyAccess") == [group]
    assert listed(ic, account_id, "BreakGlassAccess") == [group]
    assert listed(ic, account_id, "PowerUserAccess") == []

    out = portal.manage("shell", "-c", DECOMMISSION.format(account_id=account_id))
    decommission = int(out.strip().splitlines()[-1])
    if "needs 1 more" in portal.manage("request_approve", str(decommission), "--as", "approver1"):
        portal.manage("request_approve", str(decommission), "--as", "approver2")
    # Removed before the account is closed (the close itself is polled every minute).
    try:
        wait_for(lambda: access() == [], timeout=60, what="the access removed", every=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {access()}\n{portal.logs()}") from exc
    assert listed(ic, account_id, "ReadOnlyAccess") == []
    assert listed(ic, account_id, "BreakGlassAccess") == []
