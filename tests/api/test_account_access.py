"""The account's access (IAM Identity Center) in the API: `access`, `access_portal_url`,
`access_notice`, the same in the list as in the account's own endpoint; an account
someone may not see stays a 404."""

from __future__ import annotations

import pytest

from tests.access.conftest import identity_center_on, moto_identity_center  # noqa: F401
from tests.access.test_access_services import vend

pytestmark = pytest.mark.django_db(transaction=True)

PORTAL = "https://d-1234567890.awsapps.com/start"


@pytest.fixture
def account(users, team, other_team, task_queue, request):  # type: ignore[no-untyped-def]
    request.getfixturevalue("moto_identity_center")
    return vend(users, team, task_queue, env="prod")


def test_the_lead_sees_who_has_access_and_where_to_sign_in(client_for, account):
    body = client_for("lead").get(f"/api/v1/accounts/{account.account_id}/").json()
    assert sorted(body["access"], key=lambda a: a["permission_set"]) == [
        {"group": "checkout", "permission_set": "BreakGlassAccess", "status": "assigned",
         "last_error": None},
        {"group": "checkout", "permission_set": "ReadOnlyAccess", "status": "assigned",
         "last_error": None},
    ]  # fmt: skip
    assert body["access_portal_url"] == PORTAL
    assert body["access_notice"] is None
    listed = client_for("lead").get("/api/v1/accounts/").json()["results"]
    assert [a["access"] for a in listed] == [body["access"]]


@pytest.mark.parametrize("role", ["nobody", "lead2"])
def test_someone_unrelated_to_the_account_gets_404(client_for, account, role):
    response = client_for(role).get(f"/api/v1/accounts/{account.account_id}/")
    assert response.status_code == 404
    assert "access" not in response.json()


def test_without_identity_center_the_api_says_so(client_for, account, settings):
    settings.VENDING_IDENTITY_CENTER = False
    body = client_for("lead").get(f"/api/v1/accounts/{account.account_id}/").json()
    assert body["access"] == []
    assert body["access_notice"].startswith("Identity Center is not configured")
