"""Against the emulator, which stands in for the IdP as well as for AWS, a team created
in the portal gets its IdP group in the emulator's identity store (as an IdP's sync would
make it): the README's shell and API demos create their own team, and its accounts'
access is assigned, not failed. Against real AWS the portal never makes a group."""

from __future__ import annotations

import logging

import pytest

from tests.access.conftest import IdentityCenter
from tests.access.test_access_services import vend
from vending.access_models import AccessAssignment
from vending.choices import AccessStatus
from vending.services.teams import team_create, team_idp_group_set

pytestmark = pytest.mark.django_db(transaction=True)


def group_ids(ic: IdentityCenter, name: str) -> str | None:
    return ic.gateway.find_group_id(identity_store_id=ic.identity_store_id, display_name=name)


def test_a_new_team_gets_its_group_and_its_account_its_access(
    users, task_queue, moto_identity_center: IdentityCenter, settings
):
    settings.VENDING_EMULATOR = True
    assert group_ids(moto_identity_center, "shell-demo") is None
    team = team_create(actor=users["admin"], slug="shell-demo", name="Shell", leads=["lead"])
    assert group_ids(moto_identity_center, "shell-demo") is not None

    account = vend(users, team, task_queue)
    row = AccessAssignment.objects.get(account=account)
    assert (row.group, row.status) == ("shell-demo", AccessStatus.ASSIGNED)


def test_a_changed_group_is_made_before_the_accounts_move_to_it(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    settings.VENDING_EMULATOR = True
    account = vend(users, team, task_queue)
    team_idp_group_set(actor=users["admin"], team=team, idp_group="aws-checkout-devs")
    assert group_ids(moto_identity_center, "aws-checkout-devs") is not None
    task_queue.drain()
    shown = AccessAssignment.objects.filter(account=account).exclude(status=AccessStatus.REMOVED)
    assert [(r.group, r.status) for r in shown] == [("aws-checkout-devs", AccessStatus.ASSIGNED)]


def test_an_existing_group_is_not_made_twice(users, moto_identity_center: IdentityCenter, settings):
    settings.VENDING_EMULATOR = True
    before = moto_identity_center.groups["checkout"]
    team_create(actor=users["admin"], slug="checkout", name="Checkout", leads=["lead"])
    assert group_ids(moto_identity_center, "checkout") == before


def test_against_real_aws_the_portal_makes_no_group(
    users, moto_identity_center: IdentityCenter, settings
):
    assert settings.VENDING_EMULATOR is False  # the test settings' default
    team_create(actor=users["admin"], slug="payments", name="Payments", leads=["lead"])
    assert group_ids(moto_identity_center, "payments") is None


def test_an_unreachable_identity_store_does_not_stop_the_team(
    users, identity_center_on, settings, caplog, monkeypatch
):
    from vending.aws.identity_center import get_identity_center

    settings.VENDING_EMULATOR = True
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    get_identity_center.cache_clear()
    with caplog.at_level(logging.WARNING, logger="vending.services.teams"):
        team = team_create(actor=users["admin"], slug="payments", name="Payments")
    assert team.pk is not None
    assert "did not take team payments's group" in caplog.text
