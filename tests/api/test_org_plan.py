"""GET /api/v1/org/plan/ and the organization page's pending changes: admins only, the
same plan and impact as `manage.py org plan`."""

from __future__ import annotations

import boto3
import pytest
import yaml

from tests.api.conftest import ROLES
from vending.blueprint.loader import DEFAULT_BLUEPRINT

pytestmark = pytest.mark.django_db


@pytest.fixture
def general_becomes_pci(moto_gateway, tmp_path, settings):
    """Two accounts in GeneralOU, and a blueprint in force that puts the PCI SCP there."""
    c = boto3.client("organizations", region_name="us-east-1")
    root = c.list_roots()["Roots"][0]["Id"]
    general = next(
        ou["Id"]
        for ou in c.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
        if ou["Name"] == "GeneralOU"
    )
    ids = []
    for i in range(2):
        account = c.create_account(AccountName=f"g{i}", Email=f"g{i}@example.com")
        ids.append(account["CreateAccountStatus"]["AccountId"])
        c.move_account(AccountId=ids[-1], SourceParentId=root, DestinationParentId=general)
    raw = yaml.safe_load(DEFAULT_BLUEPRINT.read_text())
    for policy in raw["policies"]:
        if "file" in policy:
            policy["file"] = str(DEFAULT_BLUEPRINT.parent / policy["file"])
    raw["organizational_units"][0]["policies"] = ["vending-class-pci"]  # GeneralOU
    path = tmp_path / "blueprint.yaml"
    path.write_text(yaml.safe_dump(raw))
    settings.VENDING_BLUEPRINT = str(path)
    return sorted(ids)


@pytest.mark.slow
def test_admins_see_the_plan_and_whom_it_touches(client_for, general_becomes_pci):
    response = client_for("admin").get("/api/v1/org/plan/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["empty"] is False
    assert {"action": "attach", "target": "GeneralOU", "summary": "attach vending-class-pci",
            "diff": ""} in body["changes"]  # fmt: skip
    [group] = body["impact"]["groups"]
    assert group["ou_path"] == group["from_ou_path"] == "GeneralOU"
    assert group["classes"] == ["general"]
    assert sorted(group["account_ids"]) == general_becomes_pci and group["account_count"] == 2
    assert "bedrock" in group["lose"] and "s3" not in group["lose"] and group["gain"] == []
    assert group["sentence"].startswith("GeneralOU (general): 2 accounts lose `")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_everybody_else_is_refused_without_asking_aws(client_for, users, role, monkeypatch):
    monkeypatch.setattr("vending.api.views.org.get_gateway", lambda: pytest.fail("AWS asked"))
    response = client_for(role).get("/api/v1/org/plan/")
    assert response.status_code == 403


def test_a_matching_organization_has_an_empty_plan(client_for, moto_gateway):
    body = client_for("admin").get("/api/v1/org/plan/").json()
    assert body["empty"] is True and body["changes"] == [] and body["impact"]["groups"] == []


def test_the_plan_is_in_the_schema(client_for, users):
    schema = client_for("admin").get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/org/plan/"]["get"]
    assert operation["operationId"] == "org_plan_retrieve"
    assert "403" in operation["responses"]


def test_the_organization_page_loads_the_impact_for_admins(
    users, general_becomes_pci, django_user_model
):
    from django.test import Client

    admin = Client()
    admin.force_login(users["admin"])
    page = admin.get("/org/").content.decode()
    assert 'hx-get="/org/plan/"' in page
    fragment = admin.get("/org/plan/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "GeneralOU (general)" in html and "bedrock" in html
    assert "<html" not in html  # a fragment for htmx; a page without it
    assert "<html" in admin.get("/org/plan/").content.decode()

    lead = Client()
    lead.force_login(users["lead"])
    assert "/org/plan/" not in lead.get("/org/").content.decode()
    assert lead.get("/org/plan/").status_code == 403
