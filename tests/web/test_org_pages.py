"""The organization page: the live OU tree for leads, approvers and admins, and drift and
the management account id for approvers and admins."""

from __future__ import annotations

import pytest

from tests.web.helpers import SCRIPT as XSS
from tests.web.helpers import AwsDown as Down
from tests.web.helpers import AwsRefuses as Refuses

pytestmark = pytest.mark.django_db

# -- organization -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead", "approver1", "admin"])
def test_org_page_shows_the_live_tree(web_client_for, team, moto_gateway, role):
    response = web_client_for(role).get("/org/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["nav"] == "org"
    for name in ("GeneralOU", "HipaaOU", "HipaaPciOU", "PciOU", "SuspendedOU"):
        assert name in html
    assert "vending-class-hipaa" in html and "FullAWSAccess" in html
    assert "HIPAA + PCI DSS accounts" in html  # the class that lands in HipaaPciOU
    assert response.context["tree"].organization_id in html
    management = moto_gateway.describe_organization().management_account_id
    assert (management in html) is (role != "lead")


@pytest.mark.parametrize(
    ("gateway", "text"), [(Down, "AWS did not answer"), (Refuses, "AWS refused to answer")]
)
def test_org_page_renders_when_aws_fails(web_client_for, team, monkeypatch, gateway, text):
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: gateway())
    response = web_client_for("lead").get("/org/")
    assert response.status_code == 200
    assert text in response.content.decode()


@pytest.mark.parametrize("role", ["admin", "approver1"])
def test_drift_is_listed_for_admins_and_approvers(web_client_for, drift, monkeypatch, role):
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: Down())
    response = web_client_for(role).get("/org/")
    assert response.status_code == 200
    report = response.context["drift"]
    # Open findings only, reported first even when seen less recently.
    assert [f.key for f in report.findings] == [drift["reported"].key, drift["seen_once"].key]
    html = response.content.decode()
    assert "Reported" in html and "Seen once" in html and "resolved long ago" not in html
    assert "Last scan" in html and XSS not in html


def test_drift_is_hidden_from_leads(web_client_for, team, drift, monkeypatch):
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: Down())
    response = web_client_for("lead").get("/org/")
    assert response.status_code == 200
    assert response.context["drift"] is None
    html = response.content.decode()
    assert "444444444444" not in html and "Drift" not in html
