"""change_class end to end against moto in-process: MoveAccount from where the account
is into the new class's OU, idempotent under double delivery and a crash between the
move and the database update."""

from __future__ import annotations

import pytest

from vending.blueprint.current import class_ou_path
from vending.choices import AuditAction, RequestKind, RequestStatus
from vending.errors import DuplicateRequest, InvalidInput, PermissionDenied
from vending.models import AuditEvent, VendedAccount
from vending.services import account_lifecycle
from vending.services.lifecycle_requests import account_change_request_create
from vending.services.org_units import org_units_kept

from .conftest import approve_all, ready_account

pytestmark = pytest.mark.django_db(transaction=True)


def change(users, account, cls="hipaa", who="lead"):
    return account_change_request_create(
        requester=users[who],
        kind=RequestKind.CHANGE_CLASS,
        account_id=account.account_id,
        compliance_class=cls,
        justification="Now handles patient data",
    )


def parent_path(gateway, account_id: str) -> str:
    parent = gateway.list_parents(child_id=account_id)[0].id
    kept = {
        v: k
        for k, v in org_units_kept(
            paths=["HipaaOU", "GeneralOU", "PciOU", "HipaaOU/HipaaPciOU", "SuspendedOU"]
        ).items()
    }
    return kept.get(parent, parent)


def test_change_class_moves_the_account_and_records_it_with_double_delivery(
    users, account, moto_gateway, task_queue
):
    request = change(users, account)
    assert request.kind == RequestKind.CHANGE_CLASS and request.target_account == account
    approve_all(request, users)
    task_queue.drain(duplicate=True)
    request.refresh_from_db()
    account.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert account.class_value == "hipaa"
    assert account.target_ou_path == class_ou_path("hipaa")
    assert parent_path(moto_gateway, account.account_id) == class_ou_path("hipaa")
    assert account.ou_id == org_units_kept(paths=[class_ou_path("hipaa")])[class_ou_path("hipaa")]
    changed = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CLASS_CHANGED)
    assert changed.count() == 1
    assert changed.get().data["previous"] == "general"
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_MOVED, request=request).count() == 0
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_MOVED, account=account).count() == 2


def test_a_crash_between_the_move_and_the_record_is_completed_by_the_next_run(
    users, account, moto_gateway, task_queue, monkeypatch
):
    request = change(users, account, cls="pci")
    approve_all(request, users)
    real = account_lifecycle._class_change_complete

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("worker killed after MoveAccount")

    monkeypatch.setattr(account_lifecycle, "_class_change_complete", killed)
    with pytest.raises(KeyboardInterrupt):
        task_queue.drain()
    # AWS moved it; the portal's record did not change.
    assert parent_path(moto_gateway, account.account_id) == class_ou_path("pci")
    account.refresh_from_db()
    assert account.class_value == "general"
    # A dead worker's lease expires; the sweeper (or the broker) delivers the task again.
    VendedAccount.objects.filter(pk=account.pk).update(lease_until=None)
    monkeypatch.setattr(account_lifecycle, "_class_change_complete", real)
    account_lifecycle.lifecycle_request_advance(request_id=request.pk, gateway=moto_gateway)
    request.refresh_from_db()
    account.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert account.class_value == "pci"
    assert account.target_ou_path == class_ou_path("pci")
    assert parent_path(moto_gateway, account.account_id) == class_ou_path("pci")


def test_a_delivery_while_another_holds_the_lease_does_nothing(
    users, account, moto_gateway, task_queue
):
    from vending.services.provisioning import account_lease_take

    request = change(users, account)
    approve_all(request, users)
    task_queue.messages.clear()
    assert account_lease_take(account.pk) is not None
    account_lifecycle.lifecycle_request_advance(request_id=request.pk, gateway=moto_gateway)
    request.refresh_from_db()
    assert request.status == RequestStatus.PROVISIONING
    assert parent_path(moto_gateway, account.account_id) == class_ou_path("general")


def test_an_account_in_suspended_ou_cannot_change_class(users, account, moto_gateway, task_queue):
    # Moved there by hand after the request was approved: the step refuses, in words.
    request = change(users, account)
    approve_all(request, users)
    task_queue.messages.clear()
    suspended = org_units_kept(paths=["SuspendedOU"])["SuspendedOU"]
    moto_gateway.move_account(
        account_id=account.account_id,
        source_parent_id=account.ou_id,
        destination_parent_id=suspended,
    )
    VendedAccount.objects.filter(pk=account.pk).update(ou_id=suspended)
    account_lifecycle.lifecycle_request_advance(request_id=request.pk, gateway=moto_gateway)
    request.refresh_from_db()
    assert request.status == RequestStatus.FAILED
    assert "SuspendedOU" in request.decision_reason
    # The account stays where it is, and may get another request.
    assert parent_path(moto_gateway, account.account_id) == "SuspendedOU"


def test_a_second_open_request_on_the_account_is_refused(users, account):
    first = change(users, account)
    with pytest.raises(DuplicateRequest) as refused:
        change(users, account, cls="pci")
    assert f"#{first.pk}" in refused.value.message


def test_only_the_owning_teams_leads_may_request(users, account, other_team):
    with pytest.raises(InvalidInput):  # lead2 cannot even see it
        change(users, account, who="lead2")
    with pytest.raises(PermissionDenied):  # approvers see it, but lead no team of it
        change(users, account, who="approver1")


def test_every_error_at_once(users, account):
    with pytest.raises(InvalidInput) as refused:
        account_change_request_create(
            requester=users["lead"],
            kind=RequestKind.CHANGE_CLASS,
            account_id=account.account_id,
            compliance_class="general",
            justification="  ",
        )
    assert set(refused.value.field_errors) == {"justification", "compliance_class"}


def test_change_into_regulated_class_of_a_prod_account_needs_two_approvers(
    users, team, moto_gateway, task_queue
):
    prod = ready_account(users, team, task_queue, env="prod")
    request = change(users, prod, cls="hipaa")
    assert request.approvals_required == 2
    dev = ready_account(users, team, task_queue, env="dev")
    assert change(users, dev, cls="hipaa").approvals_required == 1


@pytest.mark.slow
@pytest.mark.usefixtures("emulator_org")
def test_crash_after_the_move_against_the_emulator_costs_one_lookup_not_a_second_move(
    users, team, emulator_org, task_queue, monkeypatch
):
    """The emulator enforces MoveAccount's source (moto does not): the next run's move
    from the recorded parent is refused, ListParents finds the account already in the
    target OU, and the step completes without moving it again."""
    request_for = account_change_request_create
    account = ready_account_emulated(users, team, task_queue)
    request = request_for(
        requester=users["lead"],
        kind=RequestKind.CHANGE_CLASS,
        account_id=account.account_id,
        compliance_class="hipaa",
        justification="Patient data",
    )
    approve_all(request, users)
    real = account_lifecycle._class_change_complete
    monkeypatch.setattr(
        account_lifecycle,
        "_class_change_complete",
        lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt("killed")),
    )
    with pytest.raises(KeyboardInterrupt):
        task_queue.drain()
    monkeypatch.setattr(account_lifecycle, "_class_change_complete", real)
    before = dict(emulator_org.stats()["calls"])
    VendedAccount.objects.filter(pk=account.pk).update(lease_until=None)
    account_lifecycle.lifecycle_request_advance(request_id=request.pk)
    calls = {
        k: v - before.get(k, 0)
        for k, v in emulator_org.stats()["calls"].items()
        if v != before.get(k, 0)
    }
    request.refresh_from_db()
    account.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert account.target_ou_path == class_ou_path("hipaa")
    assert parent_path(emulator_org, account.account_id) == class_ou_path("hipaa")
    assert calls == {"MoveAccount": 1, "ListParents": 1}


def ready_account_emulated(users, team, task_queue):
    from vending.services.requests import account_request_approve, account_request_create

    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="Launch",
    )
    account_request_approve(request=request, approver=users["approver1"])
    task_queue.drain(pause=0.05)
    account = request.accounts.get()
    assert account.status == "ready", account.failure_reason
    return account


def test_the_sweeper_requeues_a_request_whose_task_was_lost(
    users, account, moto_gateway, task_queue, settings
):
    from django.utils import timezone

    from vending.models import AccountRequest
    from vending.services.sweeper import provisioning_sweep

    request = change(users, account)
    approve_all(request, users)
    task_queue.messages.clear()  # the broker lost it
    old = timezone.now() - timezone.timedelta(seconds=settings.VENDING_SWEEP_STALE_SECONDS + 5)
    AccountRequest.objects.filter(pk=request.pk).update(updated_at=old)
    assert provisioning_sweep().lifecycle_requeued == [request.pk]
    task_queue.drain()
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
