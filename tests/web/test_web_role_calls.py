"""The web process's AWS calls stay within `iam_policy --role web`.

What botocore sends is recorded (a `before-call` hook on the gateway's clients) while the
pages that read AWS are rendered against moto: the organization page, the blueprint
plan, an account's page (effective policy, tags) and the API's effective policy.
"""

from __future__ import annotations

import pytest

from tests.unit.test_permissions import AUTHORIZED_AS, IAM_PREFIX
from tests.web.test_accounts_pages import hipaa_account as hipaa_account  # a fixture
from vending.aws import gateway as gateway_module
from vending.aws.permissions import WEB, actions_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The IAM actions of every call the gateway's clients send from now on."""
    actions: set[str] = set()
    instrument = gateway_module.instrument_client

    def record(*, model, **kwargs):
        service = model.service_model.service_name
        key = (service, model.name)
        actions.update(AUTHORIZED_AS.get(key, {f"{IAM_PREFIX[service]}:{model.name}"}))

    def instrument_and_record(client):
        instrument(client)
        client.meta.events.register("before-call", record, unique_id="test-web-role")

    monkeypatch.setattr(gateway_module, "instrument_client", instrument_and_record)
    gateway_module.get_gateway.cache_clear()
    return actions


@pytest.mark.slow
@pytest.mark.serial
def test_the_pages_that_read_aws_need_only_the_web_role(
    web_client_for,
    hipaa_account,
    sent,
):
    admin = web_client_for("admin")
    for url in ("/org/", "/org/plan/", f"/accounts/{hipaa_account.account_id}/"):
        assert admin.get(url).status_code == 200, url
    api = admin.get(f"/api/v1/accounts/{hipaa_account.account_id}/effective-policy/")
    assert api.status_code == 200
    assert "organizations:ListPoliciesForTarget" in sent  # the recording can fail
    assert sent <= actions_for(WEB)
