"""Imported accounts are watched by the drift scan like any ready account: where AWS has
each is recorded, one moved by hand shows as moved, one AWS no longer has as missing.
(An imported row without `completed_at` was skipped by every scan.)"""

from __future__ import annotations

import json
from urllib.request import Request, urlopen

import boto3
import pytest
from django.core.management import call_command

from vending.choices import AccountLiveState, DriftKind
from vending.models import DriftFinding, VendedAccount
from vending.selectors.accounts import account_live_state_of
from vending.services.drift import org_drift_scan

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_imported_accounts_are_scanned_for_drift(emulator_org, tmp_path):
    emulator_org.emulator.app.seed_accounts(2)
    c = boto3.client(
        "organizations", endpoint_url=emulator_org.emulator.endpoint_url, region_name="us-east-1"
    )
    root = c.list_roots()["Roots"][0]["Id"]
    ous = {
        ou["Name"]: ou["Id"]
        for ou in c.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    }
    members = sorted(
        a["Id"] for a in c.list_accounts_for_parent(ParentId=root)["Accounts"]
        if a["Name"].startswith("existing-")
    )  # fmt: skip
    for account_id in members:
        c.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ous["PciOU"])
    call_command("org", "import", "--output", str(tmp_path / "org.yaml"))
    assert VendedAccount.objects.filter(account_id__in=members).count() == 2

    org_drift_scan()
    rows = {a.account_id: a for a in VendedAccount.objects.filter(account_id__in=members)}
    assert {account_live_state_of(a) for a in rows.values()} == {AccountLiveState.IN_PLACE}
    assert {a.live_ou_path for a in rows.values()} == {"PciOU"}

    moved, lost = members
    c.move_account(AccountId=moved, SourceParentId=ous["PciOU"], DestinationParentId=ous["HipaaOU"])
    # Created accounts may not leave before their waiting period: this one may.
    blocker = Request(
        f"{emulator_org.emulator.endpoint_url}/_emulator/accounts/{lost}/leave-blocker",
        data=json.dumps({"reason": None}).encode(),
        method="POST",
    )
    with urlopen(blocker, timeout=5):
        pass
    c.remove_account_from_organization(AccountId=lost)
    org_drift_scan()
    rows = {a.account_id: a for a in VendedAccount.objects.filter(account_id__in=members)}
    assert account_live_state_of(rows[moved]) == AccountLiveState.MOVED
    assert rows[moved].live_ou_path == "HipaaOU"
    assert account_live_state_of(rows[lost]) == AccountLiveState.MISSING
    assert DriftFinding.objects.filter(
        kind=DriftKind.ACCOUNT_MISSING, key=f"account_missing:{lost}"
    ).exists()
