"""An account's access through IAM Identity Center: assigned once the account is ready,
removed when it is decommissioned or moves to another group, never twice, never failing
the account (services with the real gateway, against moto or the emulator)."""

from __future__ import annotations

import pytest

from tests.access.conftest import IdentityCenter
from tests.lifecycle.conftest import ready_account
from vending.access_models import AccessAssignment, AccountAccess
from vending.aws import TransientAwsError
from vending.aws.identity_center import IdentityCenterGateway
from vending.choices import AccessStatus, AccountStatus, AuditAction
from vending.models import AuditEvent, VendedAccount
from vending.selectors.access import NOT_CONFIGURED, account_access_read
from vending.services.access_steps import NO_INSTANCE
from vending.services.account_access import access_retry, account_access_sync
from vending.services.requests import account_request_approve, account_request_create
from vending.services.teams import team_idp_group_set

pytestmark = pytest.mark.django_db(transaction=True)


def vend(users, team, task_queue, *, env: str = "dev", cls: str = "general", pause: float = 0.0):
    """A ready account of `team`, vended through the portal's own provisioning."""
    return ready_account(users, team, task_queue, env=env, cls=cls, pause=pause)


def vend_before_access(users, team, task_queue, settings, **kwargs):  # type: ignore[no-untyped-def]
    """A ready account whose access the portal has not looked at yet (Identity Center was
    off while it was vended)."""
    settings.VENDING_IDENTITY_CENTER = False
    account = vend(users, team, task_queue, **kwargs)
    settings.VENDING_IDENTITY_CENTER = True
    return account


def statuses(account: VendedAccount) -> dict[str, str]:
    return dict(
        AccessAssignment.objects.filter(account=account).values_list("permission_set", "status")
    )


def test_a_ready_account_gets_its_teams_group_with_the_blueprints_permission_sets(
    users, team, task_queue, moto_identity_center: IdentityCenter
):
    account = vend(users, team, task_queue, env="prod")
    ic = moto_identity_center
    assert statuses(account) == {"ReadOnlyAccess": "assigned", "BreakGlassAccess": "assigned"}
    group = ic.groups["checkout"]
    assert ic.assignments(account.account_id, "ReadOnlyAccess") == [group]
    assert ic.assignments(account.account_id, "BreakGlassAccess") == [group]
    assert ic.assignments(account.account_id, "PowerUserAccess") == []
    events = AuditEvent.objects.filter(action=AuditAction.ACCESS_ASSIGNED, account=account)
    assert events.count() == 2
    view = account_access_read(account)
    assert view.notice == ""
    assert {(r.group, r.permission_set, r.status) for r in view.rows} == {
        ("checkout", "ReadOnlyAccess", "assigned"),
        ("checkout", "BreakGlassAccess", "assigned"),
    }
    assert all(f"account_id={account.account_id}" in r.shortcut_url for r in view.rows)


def test_the_sync_delivered_twice_assigns_once(
    users, team, task_queue, moto_identity_center: IdentityCenter
):
    request = account_request_create(
        requester=users["lead"], team=team, compliance_class="general",
        environments=["dev"], justification="Launch",
    )  # fmt: skip
    account_request_approve(request=request, approver=users["approver1"])
    task_queue.drain(duplicate=True)  # every message, the access sync's too, twice
    account = request.accounts.get()
    ic = moto_identity_center
    # moto lists a repeated CreateAccountAssignment twice: one entry means one call.
    assert ic.assignments(account.account_id, "PowerUserAccess") == [ic.groups["checkout"]]
    assert statuses(account) == {"PowerUserAccess": "assigned"}
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_ASSIGNED).count() == 1
    assert account_access_sync(account_id=account.pk) is None  # nothing left to do


def test_a_transient_error_is_recorded_and_retried(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    account = vend_before_access(users, team, task_queue, settings)

    class Throttled(IdentityCenterGateway):
        calls = 0

        def create_account_assignment(self, **kwargs):  # type: ignore[no-untyped-def]
            Throttled.calls += 1
            if Throttled.calls == 1:
                raise TransientAwsError(
                    "Rate exceeded", code="ThrottlingException", operation="CreateAccountAssignment"
                )
            return super().create_account_assignment(**kwargs)

    with pytest.raises(TransientAwsError):
        account_access_sync(account_id=account.pk, gateway=Throttled())
    row = AccessAssignment.objects.get(account=account)
    assert (row.status, row.attempts, row.last_error_code) == ("pending", 1, "ThrottlingException")
    assert "will be retried" in row.last_error
    assert account_access_sync(account_id=account.pk, gateway=Throttled()) is None
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("assigned", 0, "")
    ic = moto_identity_center
    assert ic.assignments(account.account_id, "PowerUserAccess") == [ic.groups["checkout"]]


def test_an_unknown_group_fails_the_access_not_the_account_and_a_retry_mends_it(
    users, team, task_queue, moto_identity_center: IdentityCenter
):
    team.idp_group = "aws-checkout"  # not in the identity store (yet)
    team.save()
    account = vend(users, team, task_queue)
    row = AccessAssignment.objects.get(account=account)
    assert row.status == AccessStatus.FAILED
    assert "no group 'aws-checkout'" in row.last_error
    assert VendedAccount.objects.get(pk=account.pk).status == AccountStatus.READY
    assert account_access_read(account).has_failed

    moto_identity_center.add_group("aws-checkout")
    assert access_retry(actor=users["admin"], account=account) == 1
    task_queue.drain()
    row.refresh_from_db()
    assert row.status == AccessStatus.ASSIGNED


def test_an_unknown_permission_set_is_named(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    account = vend_before_access(users, team, task_queue, settings)

    class Missing(IdentityCenterGateway):
        def list_permission_sets(self, *, instance_arn):  # type: ignore[no-untyped-def]
            return [p for p in super().list_permission_sets(instance_arn=instance_arn)
                    if p.name != "PowerUserAccess"]  # fmt: skip

    account_access_sync(account_id=account.pk, gateway=Missing())
    row = AccessAssignment.objects.get(account=account)
    assert row.status == AccessStatus.FAILED
    assert "no permission set 'PowerUserAccess'" in row.last_error


def test_without_identity_center_nothing_is_called_and_the_page_says_so(
    users, team, task_queue, moto_gateway, settings
):
    assert settings.VENDING_IDENTITY_CENTER is False  # the test settings' default
    account = vend(users, team, task_queue)
    assert [name for name, _ in task_queue.delivered if name == "vending.access_sync"] == []
    assert not AccessAssignment.objects.exists()
    assert account_access_read(account).notice == NOT_CONFIGURED


def test_without_an_instance_the_account_says_so(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    settings.VENDING_SSO_INSTANCE_ARN = "arn:aws:sso:::instance/ssoins-0000000000000000"
    account = vend(users, team, task_queue)
    assert AccountAccess.objects.get(account=account).notice == NO_INSTANCE
    assert account_access_read(account).notice == NO_INSTANCE
    assert statuses(account) == {"PowerUserAccess": "pending"}


def test_a_new_idp_group_takes_over_the_teams_access(
    users, team, task_queue, moto_identity_center: IdentityCenter
):
    account = vend(users, team, task_queue)
    ic = moto_identity_center
    new = ic.add_group("aws-checkout")
    team_idp_group_set(actor=users["admin"], team=team, idp_group="aws-checkout")
    task_queue.drain()
    assert ic.assignments(account.account_id, "PowerUserAccess") == [new]
    rows = dict(AccessAssignment.objects.filter(account=account).values_list("group", "status"))
    assert rows == {"checkout": "removed", "aws-checkout": "assigned"}
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REMOVED).count() == 1


def test_the_command_brings_accounts_made_before_access_was_managed(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    from io import StringIO

    from django.core.management import call_command

    account = vend_before_access(users, team, task_queue, settings)
    out = StringIO()
    call_command("access_sync", stdout=out)
    assert "queued for 1 account(s)" in out.getvalue()
    task_queue.drain()
    assert statuses(account) == {"PowerUserAccess": "assigned"}


def test_a_refused_instance_lookup_is_shown_on_the_account(
    users, team, task_queue, moto_identity_center: IdentityCenter, settings
):
    from vending.aws import PermanentAwsError

    account = vend_before_access(users, team, task_queue, settings)

    class Denied(IdentityCenterGateway):
        def list_instances(self):  # type: ignore[no-untyped-def]
            raise PermanentAwsError(
                "not authorized", code="AccessDeniedException", operation="ListInstances"
            )

    assert account_access_sync(account_id=account.pk, gateway=Denied()) is None
    notice = account_access_read(account).notice
    assert notice == "Identity Center could not be read: AWS refused ListInstances: not authorized"
    # Once the role may: the notice goes, the access is assigned.
    assert account_access_sync(account_id=account.pk) is None
    assert account_access_read(account).notice == ""
    assert statuses(account) == {"PowerUserAccess": "assigned"}


def test_an_imported_account_gets_the_access_of_the_environment_an_admin_gives_it(
    users, team, task_queue, moto_identity_center: IdentityCenter
):
    from vending.choices import AccountOrigin
    from vending.services.org_import import account_team_assign

    imported = VendedAccount.objects.create(
        origin=AccountOrigin.IMPORTED, name="legacy", email="legacy@example.com",
        account_id="210987654321", target_ou_path="GeneralOU", compliance_class="general",
        status=AccountStatus.READY,
    )  # fmt: skip
    ic = moto_identity_center
    group = ic.groups["checkout"]
    # A team alone: no environment, so the blueprint names no permission set for it.
    account_team_assign(actor=users["admin"], account_id="210987654321", team_slug="checkout")
    task_queue.drain()
    assert statuses(imported) == {}
    account_team_assign(
        actor=users["admin"], account_id="210987654321", team_slug="checkout", environment="prod"
    )
    task_queue.drain()
    assert statuses(imported) == {"ReadOnlyAccess": "assigned", "BreakGlassAccess": "assigned"}
    assert ic.assignments("210987654321", "BreakGlassAccess") == [group]
    # Another environment: its sets in, the others out; none: everything out.
    account_team_assign(
        actor=users["admin"], account_id="210987654321", team_slug="checkout", environment="dev"
    )
    task_queue.drain()
    assert statuses(imported) == {
        "PowerUserAccess": "assigned", "ReadOnlyAccess": "removed", "BreakGlassAccess": "removed",
    }  # fmt: skip
    assert ic.assignments("210987654321", "BreakGlassAccess") == []
    account_team_assign(
        actor=users["admin"], account_id="210987654321", team_slug="checkout", environment=""
    )
    task_queue.drain()
    assert set(statuses(imported).values()) == {"removed"}
    assert ic.assignments("210987654321", "PowerUserAccess") == []
