"""Drift where people look: the accounts list (web and API) shows where AWS has each ready
account as the last drift scan saw it, a ghost (an account AWS no longer has) shows as
missing in AWS, and when AWS created an account is the date shown.

Against the emulator in-process, accounts vended by the real provisioning tasks and moved
or lost with boto3 alone, as a person at the AWS console would.
"""

from __future__ import annotations

import boto3
import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.web.helpers import submit
from vending.choices import AccountStatus, DriftKind
from vending.models import DriftFinding, VendedAccount
from vending.services.drift import org_drift_scan
from vending.services.requests import account_request_approve

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]


def vend(users, team, task_queue, envs=("dev",)) -> list[VendedAccount]:
    request = submit(users, team, envs=envs)
    account_request_approve(request=request, approver=users["approver1"])
    task_queue.drain(pause=0.05)
    accounts = list(request.accounts.order_by("id"))
    assert {a.status for a in accounts} == {AccountStatus.READY}
    return accounts


def aws(emulator):
    return boto3.client(
        "organizations", endpoint_url=emulator.endpoint_url, region_name="us-east-1"
    )


def ou_id(c, path: str) -> str:
    parent = c.list_roots()["Roots"][0]["Id"]
    for name in path.split("/"):
        ous = c.list_organizational_units_for_parent(ParentId=parent)["OrganizationalUnits"]
        parent = next(ou["Id"] for ou in ous if ou["Name"] == name)
    return parent


def move_by_hand(c, account_id: str, to_path: str) -> None:
    source = c.list_parents(ChildId=account_id)["Parents"][0]["Id"]
    c.move_account(
        AccountId=account_id, SourceParentId=source, DestinationParentId=ou_id(c, to_path)
    )


def signed_in(users, who: str) -> Client:
    client = Client()
    client.force_login(users[who])
    return client


def api_rows(users, who: str = "lead") -> dict[str, dict]:
    client = APIClient()
    client.force_authenticate(users[who])
    return {r["account_id"]: r for r in client.get("/api/v1/accounts/").json()["results"]}


@pytest.mark.slow
def test_a_hand_moved_account_shows_its_live_ou_and_a_drift_marker_in_the_lists(
    users, team, emulator, task_queue
):
    dev, prod = vend(users, team, task_queue, envs=("dev", "prod"))
    rows = api_rows(users)
    assert rows[dev.account_id]["live_state"] == "unseen"  # no scan since it was ready
    org_drift_scan()
    rows = api_rows(users)
    assert (rows[dev.account_id]["live_state"], rows[dev.account_id]["live_ou_path"]) == (
        "in_place",
        "GeneralOU",
    )

    move_by_hand(aws(emulator), dev.account_id, "PciOU")
    org_drift_scan()

    rows = api_rows(users)
    assert rows[dev.account_id]["live_state"] == "moved"
    assert rows[dev.account_id]["live_ou_path"] == "PciOU"
    assert rows[dev.account_id]["ou_path"] == "GeneralOU"  # where the portal put it
    assert rows[prod.account_id]["live_state"] == "in_place"
    html = signed_in(users, "lead").get("/accounts/").content.decode()
    dev_row = next(r for r in html.split("<tr>") if dev.account_id in r)
    prod_row = next(r for r in html.split("<tr>") if prod.account_id in r)
    assert "PciOU" in dev_row and "expected GeneralOU" in dev_row and ">Drift<" in dev_row
    assert ">Drift<" not in prod_row and "PciOU" not in prod_row
    # The account's own page and the API's read of it say the same.
    alone = APIClient()
    alone.force_authenticate(users["lead"])
    assert alone.get(f"/api/v1/accounts/{dev.account_id}/").json() == rows[dev.account_id]


@pytest.mark.slow
def test_an_account_aws_no_longer_has_is_missing_in_aws_not_ready(
    users, team, emulator, emulator_gateway, task_queue
):
    """The demo restarted against a fresh emulator: the portal's accounts are ghosts."""
    from vending.services.org_blueprint import org_blueprint_apply

    (ghost,) = vend(users, team, task_queue)
    emulator.app.reset()  # a new, empty organization
    org_blueprint_apply(gateway=emulator_gateway)
    org_drift_scan()

    row = api_rows(users)[ghost.account_id]
    assert row["live_state"] == "missing_in_aws" and row["missing_in_aws_since"]
    assert row["live_ou_path"] is None
    html = signed_in(users, "lead").get("/accounts/").content.decode()
    ghost_row = next(r for r in html.split("<tr>") if ghost.account_id in r)
    assert "Missing in AWS" in ghost_row and ">Ready<" not in ghost_row
    page = signed_in(users, "lead").get(f"/accounts/{ghost.account_id}/")
    assert page.status_code == 200
    assert "Missing in AWS" in page.content.decode()
    finding = DriftFinding.objects.get(kind=DriftKind.ACCOUNT_MISSING, resolved_at__isnull=True)
    assert ghost.account_id in finding.key


@pytest.mark.slow
def test_the_account_page_says_missing_as_soon_as_aws_says_account_not_found(
    users, team, emulator, emulator_gateway, task_queue
):
    from vending.services.org_blueprint import org_blueprint_apply

    (ghost,) = vend(users, team, task_queue)
    org_drift_scan()
    assert api_rows(users)[ghost.account_id]["live_state"] == "in_place"
    emulator.app.reset()
    org_blueprint_apply(gateway=emulator_gateway)

    page = signed_in(users, "lead").get(f"/accounts/{ghost.account_id}/").content.decode()
    assert "Missing in AWS" in page and ">Ready<" not in page.split("<h1>")[1].split("</h1>")[0]
    # What AWS answered is kept: the list says so without waiting for the next scan.
    assert api_rows(users)[ghost.account_id]["live_state"] == "missing_in_aws"


@pytest.mark.slow
def test_an_account_found_again_is_no_longer_missing(users, team, emulator, task_queue):
    (account,) = vend(users, team, task_queue)
    VendedAccount.objects.filter(pk=account.pk).update(missing_in_aws_since="2026-01-01T00:00Z")
    assert api_rows(users)[account.account_id]["live_state"] == "missing_in_aws"
    org_drift_scan()
    assert api_rows(users)[account.account_id]["live_state"] == "in_place"


@pytest.mark.slow
def test_created_is_when_aws_created_the_account(users, team, emulator, task_queue):
    (account,) = vend(users, team, task_queue)
    account.refresh_from_db()
    status = aws(emulator).describe_create_account_status(
        CreateAccountRequestId=account.create_request_id
    )["CreateAccountStatus"]
    assert account.aws_created_at == status["CompletedTimestamp"]
    assert account.aws_created_at != account.request.created_at
    row = api_rows(users)[account.account_id]
    assert row["aws_created_at"].startswith(status["CompletedTimestamp"].strftime("%Y-%m-%dT%H:%M"))
    page = signed_in(users, "lead").get(f"/accounts/{account.account_id}/").content.decode()
    created = page.split("<dt>Created in AWS</dt>")[1].split("</dd>")[0]
    assert account.aws_created_at.isoformat() in created


@pytest.mark.slow
def test_a_scan_fills_in_when_aws_created_an_account_the_portal_did_not_record(
    users, team, emulator, task_queue
):
    (account,) = vend(users, team, task_queue)
    VendedAccount.objects.filter(pk=account.pk).update(aws_created_at=None)
    org_drift_scan()
    account.refresh_from_db()
    joined = aws(emulator).describe_account(AccountId=account.account_id)["Account"]
    assert account.aws_created_at == joined["JoinedTimestamp"]
