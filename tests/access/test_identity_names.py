"""Identity Center's names are resolved once and kept (vending/services/identity_names.py):
the next account's access sync asks AWS only for its assignment; a kept id AWS says is
gone, and a kept name past VENDING_SSO_NAMES_SECONDS, are asked for again."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.access.conftest import IdentityCenter
from tests.access.test_access_services import statuses, vend, vend_before_access
from vending.access_models import AccessAssignment, IdentityCenterName
from vending.aws.identity_center import IDENTITY_STORE, SSO_ADMIN, get_identity_center
from vending.services.account_access import account_access_sync

pytestmark = pytest.mark.django_db(transaction=True)

LOOKUPS = {"ListInstances", "GetGroupId", "ListPermissionSets", "DescribePermissionSet"}


def counted() -> Counter[str]:
    """Identity Center's calls made from now on in this thread, by operation."""
    calls: Counter[str] = Counter()
    gw = get_identity_center()
    for service in (SSO_ADMIN, IDENTITY_STORE):
        gw._client(service).meta.events.register(
            "before-call", lambda model, **_: calls.update([model.name])
        )
    return calls


def test_the_next_accounts_sync_asks_aws_only_for_its_assignment(
    users, team, task_queue, moto_identity_center: IdentityCenter
):
    first = vend(users, team, task_queue, env="dev")
    assert statuses(first) == {"PowerUserAccess": "assigned"}
    kept = dict(IdentityCenterName.objects.values_list("name", "value"))
    assert kept["checkout"] == moto_identity_center.groups["checkout"]
    assert kept["PowerUserAccess"] == moto_identity_center.permission_sets["PowerUserAccess"]

    calls = counted()
    second = vend(users, team, task_queue, env="test")

    assert statuses(second) == {"PowerUserAccess": "assigned"}
    assert not LOOKUPS & set(calls), calls
    assert calls["CreateAccountAssignment"] == 1


def test_names_older_than_the_setting_are_asked_for_again(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    vend(users, team, task_queue, env="dev")
    settings.VENDING_SSO_NAMES_SECONDS = 0
    calls = counted()
    second = vend(users, team, task_queue, env="test")
    assert statuses(second) == {"PowerUserAccess": "assigned"}
    assert calls["ListInstances"] == 1 and calls["GetGroupId"] == 1
    assert calls["ListPermissionSets"] == 1


def test_a_name_aws_does_not_know_is_not_kept(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    from vending.services.teams import team_idp_group_set

    team_idp_group_set(actor=users["admin"], team=team, idp_group="checkout-engineers")
    account = vend(users, team, task_queue, env="dev")
    assert statuses(account) == {"PowerUserAccess": "failed"}
    assert not IdentityCenterName.objects.filter(name="checkout-engineers").exists()

    group_id = moto_identity_center.add_group("checkout-engineers")
    AccessAssignment.objects.filter(account=account).update(status="pending")
    assert account_access_sync(account_id=account.pk) is None
    assert statuses(account) == {"PowerUserAccess": "assigned"}
    assert IdentityCenterName.objects.get(name="checkout-engineers").value == group_id


def first_assigned(users, team, task_queue, settings):  # type: ignore[no-untyped-def]
    """On the emulator (assignments asynchronous, read again after 0.1 s): the team's
    first account, its access assigned and the names kept."""
    settings.VENDING_ACCESS_POLL_SECONDS = 0.1
    first = vend(users, team, task_queue, env="dev", pause=0.05)
    assert statuses(first) == {"PowerUserAccess": "assigned"}
    return first


@pytest.mark.slow
@pytest.mark.serial
def test_a_recreated_permission_set_is_looked_up_again(
    users, team, task_queue, emulated_identity_center: IdentityCenter, settings
):
    # The emulator, as AWS, refuses an assignment with a permission set that is gone.
    ic = emulated_identity_center
    first = first_assigned(users, team, task_queue, settings)
    old_arn = ic.permission_sets["PowerUserAccess"]

    sso = ic.gateway._client(SSO_ADMIN)
    sso.delete_account_assignment(
        InstanceArn=ic.instance_arn, TargetId=first.account_id, TargetType="AWS_ACCOUNT",
        PermissionSetArn=old_arn, PrincipalType="GROUP", PrincipalId=ic.groups["checkout"],
    )  # fmt: skip
    sso.delete_permission_set(InstanceArn=ic.instance_arn, PermissionSetArn=old_arn)
    new_arn = ic.gateway.create_permission_set(
        instance_arn=ic.instance_arn, name="PowerUserAccess"
    ).arn
    ic.permission_sets["PowerUserAccess"] = new_arn

    second = vend_before_access(users, team, task_queue, settings, env="test", pause=0.05)
    task_queue.run_one("vending.access_sync", (second.pk,))
    task_queue.drain(pause=0.05)

    assert statuses(second) == {"PowerUserAccess": "assigned"}
    assert AccessAssignment.objects.get(account=second).permission_set_arn == new_arn
    assert ic.assignments(second.account_id, "PowerUserAccess") == [ic.groups["checkout"]]
    assert IdentityCenterName.objects.get(name="PowerUserAccess").value == new_arn


@pytest.mark.slow
@pytest.mark.serial
def test_a_recreated_group_fails_once_then_the_retry_finds_it(
    users, team, task_queue, emulated_identity_center: IdentityCenter, settings
):
    # A group deleted and made again under its name has a new id; AWS fails an
    # assignment to the old one when it carries it out (asynchronously), as the emulator
    # does. The failure shows; the portal forgets the ids it kept, so the retry (and
    # the next account) use the group's new id.
    from vending.services.account_access import access_retry

    ic = emulated_identity_center
    first_assigned(users, team, task_queue, settings)
    store = ic.gateway._client(IDENTITY_STORE)
    store.delete_group(IdentityStoreId=ic.identity_store_id, GroupId=ic.groups["checkout"])
    new_id = ic.add_group("checkout")

    second = vend(users, team, task_queue, env="test", pause=0.05)
    assert statuses(second) == {"PowerUserAccess": "failed"}
    row = AccessAssignment.objects.get(account=second)
    assert "does not exist" in row.last_error and row.group_id == ""
    assert not IdentityCenterName.objects.filter(kind="group").exists()

    assert access_retry(actor=users["admin"], account=second) == 1
    task_queue.drain(pause=0.05)
    assert statuses(second) == {"PowerUserAccess": "assigned"}
    assert AccessAssignment.objects.get(account=second).group_id == new_id
    assert ic.assignments(second.account_id, "PowerUserAccess") == [new_id]


def test_refreshed_permission_set_names_are_written_in_one_statement(
    moto_identity_center: IdentityCenter,
):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from vending.aws.identity_center import IdentityCenterInstance
    from vending.services.identity_names import PERMISSION_SET, permission_sets_resolve

    ic = moto_identity_center
    long_ago = timezone.now() - timedelta(days=2)
    # One kept name points at an ARN AWS no longer has; the others are not kept yet.
    stale = IdentityCenterName.objects.create(
        kind=PERMISSION_SET,
        instance_arn=ic.instance_arn,
        name="PowerUserAccess",
        value="arn:aws:sso:::permissionSet/ssoins-0/ps-gone",
        seen_at=long_ago,
    )
    instance = IdentityCenterInstance(
        instance_arn=ic.instance_arn, identity_store_id=ic.identity_store_id
    )

    with CaptureQueriesContext(connection) as queries:
        found = permission_sets_resolve(ic.gateway, instance)

    assert found == ic.permission_sets
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    assert len(writes) == 1 and "ON CONFLICT" in writes[0].upper(), writes
    kept = {
        row.name: row
        for row in IdentityCenterName.objects.filter(
            kind=PERMISSION_SET, instance_arn=ic.instance_arn
        )
    }
    assert {name: row.value for name, row in kept.items()} == ic.permission_sets
    assert kept["PowerUserAccess"].pk == stale.pk  # updated in place, not added beside
    assert all(row.seen_at > long_ago for row in kept.values())
