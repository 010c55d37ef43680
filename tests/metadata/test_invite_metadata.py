"""An invited account carries its request's owner, cost centre and tags once it accepts
(against the emulator, whose handshakes are as AWS has them)."""

from __future__ import annotations

import pytest

from tests.lifecycle.conftest import approve_all
from tests.lifecycle.test_decommission import control
from tests.lifecycle.test_invite import standalone, step
from vending.selectors.request_metadata import MetadataInput
from vending.services.lifecycle_requests import account_invite_request_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("emulator_org")]


def test_an_invited_account_is_tagged_with_owner_cost_centre_and_tags(
    users, team, emulator_org, task_queue
):
    account_id = standalone(emulator_org, "legacy")
    request = account_invite_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environment="dev",
        account_id=account_id,
        justification="Bring it in",
        metadata=MetadataInput(cost_centre="CC-3", tags={"project": "legacy"}),
    )
    approve_all(request, users)
    step(request, task_queue)
    account = request.target_account
    account.refresh_from_db()
    assert account.cost_centre == "CC-3" and account.owner == users["lead"]
    control(emulator_org.emulator, f"/handshakes/{account.handshake_id}/accept")
    step(request, task_queue)
    tags = emulator_org.list_tags(resource_id=account_id)
    assert tags["vending:owner"] == "lead"
    assert tags["vending:cost-centre"] == "CC-3"
    assert tags["project"] == "legacy"
