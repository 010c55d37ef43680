"""The account page's "Who has access" card (IAM Identity Center): the team's group and
permission sets with their status, the access portal link, a failure in words and the
admin's retry; never shown to someone who may not see the account."""

from __future__ import annotations

import pytest

from tests.access.conftest import identity_center_on, moto_identity_center  # noqa: F401
from tests.access.test_access_services import vend
from tests.web.helpers import messages
from vending.access_models import AccessAssignment
from vending.choices import AccessStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(users, team, task_queue, request):  # type: ignore[no-untyped-def]
    request.getfixturevalue("moto_identity_center")
    return vend(users, team, task_queue)


def page(web_client_for, role: str, account) -> str:  # type: ignore[no-untyped-def]
    response = web_client_for(role).get(f"/accounts/{account.account_id}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.slow
def test_the_lead_sees_the_group_the_permission_set_and_the_access_portal(web_client_for, account):
    html = page(web_client_for, "lead", account)
    assert "Who has access" in html
    assert "checkout" in html and "PowerUserAccess" in html and "Assigned" in html
    assert "https://d-1234567890.awsapps.com/start" in html
    shortcut = f"/#/console?account_id={account.account_id}&amp;role_name=PowerUserAccess"
    assert shortcut in html


def test_without_identity_center_the_page_says_access_is_not_managed(
    web_client_for, account, settings
):
    settings.VENDING_IDENTITY_CENTER = False
    html = page(web_client_for, "lead", account)
    assert "Identity Center is not configured: access is not managed by the portal." in html


@pytest.mark.slow
def test_a_failure_is_shown_and_only_an_admin_retries_it(web_client_for, account, task_queue):
    AccessAssignment.objects.filter(account=account).update(
        status=AccessStatus.FAILED, last_error="The identity store has no group 'checkout'."
    )
    html = page(web_client_for, "lead", account)
    assert "no group &#x27;checkout&#x27;" in html
    assert "Retry failed access" not in html
    url = f"/accounts/{account.account_id}/access/retry/"
    refused = web_client_for("lead").post(url, follow=True)
    assert "Only portal admins" in " ".join(messages(refused.content.decode()))
    assert AccessAssignment.objects.get(account=account).status == AccessStatus.FAILED
    assert web_client_for("nobody").post(url).status_code == 404
    assert "Retry failed access" in page(web_client_for, "admin", account)
    web_client_for("admin").post(url)
    task_queue.drain()
    assert AccessAssignment.objects.get(account=account).status == AccessStatus.ASSIGNED


def test_someone_unrelated_never_sees_the_card(web_client_for, account):
    response = web_client_for("nobody").get(f"/accounts/{account.account_id}/")
    assert response.status_code == 404
    assert "Who has access" not in response.content.decode()
