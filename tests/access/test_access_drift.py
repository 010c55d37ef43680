"""Access removed by hand in Identity Center: the periodic check marks the assignment
failed with the reason and audits it, one list call per group; the portal does not give
it back by itself, an admin does with Retry. Against moto in-process and the emulator."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from django.utils import timezone

from tests.access.conftest import IdentityCenter
from tests.access.test_access_services import statuses, vend
from tests.emulator.conftest import control
from vending.access_models import AccessAssignment
from vending.aws.identity_center import IdentityCenterGateway
from vending.choices import AuditAction
from vending.models import AuditEvent, VendedAccount
from vending.selectors.access import account_access_read
from vending.services.access_drift import SETTLE_SECONDS, access_drift_check
from vending.services.account_access import access_retry

pytestmark = pytest.mark.django_db(transaction=True)


def remove_by_hand(ic: IdentityCenter, account: VendedAccount, permission_set: str, client):  # type: ignore[no-untyped-def]
    client.delete_account_assignment(
        InstanceArn=ic.instance_arn,
        TargetId=account.account_id,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=ic.permission_sets[permission_set],
        PrincipalType="GROUP",
        PrincipalId=ic.groups["checkout"],
    )


def settle() -> None:
    """As if the assignments were made before the last check's settling time."""
    AccessAssignment.objects.update(
        updated_at=timezone.now() - timedelta(seconds=SETTLE_SECONDS + 1)
    )


def test_an_assignment_removed_by_hand_shows_failed_until_an_admin_gives_it_back(
    users, team, task_queue, moto_identity_center: IdentityCenter, monkeypatch
):
    ic = moto_identity_center
    prod = vend(users, team, task_queue, env="prod")
    dev = vend(users, team, task_queue, env="dev")
    remove_by_hand(ic, prod, "BreakGlassAccess", boto3.client("sso-admin", "us-east-1"))
    # Just changed: AWS's lists may lag, so the check leaves it for next time.
    assert access_drift_check() == []
    settle()
    calls = []
    listing = IdentityCenterGateway.list_assignments_of_group
    monkeypatch.setattr(
        IdentityCenterGateway,
        "list_assignments_of_group",
        lambda self, **kw: calls.append(kw) or listing(self, **kw),
    )
    broken = AccessAssignment.objects.get(account=prod, permission_set="BreakGlassAccess")
    assert access_drift_check() == [broken.pk]
    assert len(calls) == 1  # one group, both accounts
    assert statuses(prod) == {"ReadOnlyAccess": "assigned", "BreakGlassAccess": "failed"}
    assert statuses(dev) == {"PowerUserAccess": "assigned"}
    broken.refresh_from_db()
    assert broken.last_error.startswith("Removed outside the portal")
    assert broken.last_error_code == "RemovedOutsideThePortal"
    event = AuditEvent.objects.filter(action=AuditAction.ACCESS_REMOVED).get()
    assert event.account == prod and "no longer has BreakGlassAccess" in event.message
    view = account_access_read(prod)
    assert ("BreakGlassAccess", "failed") in {(r.permission_set, r.status) for r in view.rows}
    # Seen once: a second check marks nothing more, and nothing puts it back by itself.
    assert access_drift_check() == []
    task_queue.drain()
    assert ic.assignments(prod.account_id, "BreakGlassAccess") == []
    # An admin's Retry gives it back.
    assert access_retry(actor=users["admin"], account=prod) == 1
    task_queue.drain()
    assert statuses(prod)["BreakGlassAccess"] == "assigned"
    assert ic.assignments(prod.account_id, "BreakGlassAccess") == [ic.groups["checkout"]]
    settle()
    assert access_drift_check() == []


def test_without_identity_center_the_check_calls_nothing(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    vend(users, team, task_queue)
    settle()
    settings.VENDING_IDENTITY_CENTER = False
    assert access_drift_check() == []
    assert statuses(VendedAccount.objects.get()) == {"PowerUserAccess": "assigned"}


@pytest.mark.slow
@pytest.mark.serial
def test_the_emulator_answers_the_check(
    users, team, task_queue, emulated_identity_center: IdentityCenter, settings, emulator_org
):
    settings.VENDING_ACCESS_POLL_SECONDS = 0.1
    ic = emulated_identity_center
    account = vend(users, team, task_queue, pause=0.05)
    task_queue.drain(pause=0.05)
    assert statuses(account) == {"PowerUserAccess": "assigned"}
    settle()
    assert access_drift_check() == []
    client = boto3.client(
        "sso-admin",
        region_name="us-east-1",
        endpoint_url=emulator_org.emulator.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    remove_by_hand(ic, account, "PowerUserAccess", client)
    # The deletion is asynchronous, as in AWS: done once the emulator's clock has moved.
    assert [a.principal_id for a in ic.gateway.list_assignments_of_group(
        instance_arn=ic.instance_arn, group_id=ic.groups["checkout"])] != []  # fmt: skip
    control(emulator_org.emulator, "POST", "/clock", {"advance_seconds": 1})
    [marked] = access_drift_check()
    assert AccessAssignment.objects.get(pk=marked).status == "failed"


def test_an_instance_that_no_longer_exists_is_looked_up_again_by_the_next_check(
    users, team, task_queue, moto_identity_center: IdentityCenter, monkeypatch
):
    """The check uses the kept instance; when AWS answers that it does not exist (it
    was deleted and Identity Center enabled again), the check fails and the portal
    forgets what it kept, so the next check and sync look the instance up again."""
    from vending.access_models import IdentityCenterName
    from vending.aws import PermanentAwsError

    vend(users, team, task_queue, env="dev")
    settle()
    assert IdentityCenterName.objects.filter(instance_arn=moto_identity_center.instance_arn)
    listing = IdentityCenterGateway.list_assignments_of_group

    def gone(self, **kw):  # type: ignore[no-untyped-def]
        raise PermanentAwsError(
            "Instance not found",
            code="ResourceNotFoundException",
            operation="ListAccountAssignmentsForPrincipal",
        )

    monkeypatch.setattr(IdentityCenterGateway, "list_assignments_of_group", gone)
    with pytest.raises(PermanentAwsError):
        access_drift_check()
    assert not IdentityCenterName.objects.exists()
    assert statuses(VendedAccount.objects.get(environment="dev")) == {"PowerUserAccess": "assigned"}

    monkeypatch.setattr(IdentityCenterGateway, "list_assignments_of_group", listing)
    assert access_drift_check() == []  # looked up again (ListInstances), nothing removed
    assert IdentityCenterName.objects.filter(kind="instance").count() == 1
