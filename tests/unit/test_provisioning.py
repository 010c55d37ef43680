"""Provisioning against moto in-process (CreateAccount answers SUCCEEDED at once there;
the asynchronous behaviour is covered against the emulator)."""

import pytest

from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.models import AuditEvent, CreationSlot, VendedAccount
from vending.services.provisioning import provisioning_advance
from vending.services.requests import account_request_approve, account_request_create
from vending.services.sweeper import provisioning_sweep

pytestmark = pytest.mark.django_db(transaction=True)


class CountingGateway:
    """The real gateway with a count of calls per method (to prove what was not called)."""

    def __init__(self, inner):
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            return attr(*args, **kwargs)

        return counted


def submit_and_approve(users, team, cls="hipaa_pci", envs=("dev", "test", "qa", "prod")):
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class=cls,
        environments=list(envs),
        justification="Launch",
    )
    outcome = account_request_approve(request=request, approver=users["approver1"])
    if not outcome.provisioning_started:
        account_request_approve(request=request, approver=users["approver2"])
    request.refresh_from_db()
    return request


def org_accounts_by_email(gateway):
    return {a.email: a for a in gateway.list_accounts()}


def test_request_is_provisioned_into_the_class_ou_with_tags(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team)
    task_queue.drain()
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    target = moto_gateway.find_organizational_unit(path="HipaaOU/HipaaPciOU")
    for account in request.accounts.all():
        assert account.status == AccountStatus.READY
        assert account.create_request_id.startswith("car-")
        parents = moto_gateway.list_parents(child_id=account.account_id)
        assert [p.id for p in parents] == [target.id]
        assert moto_gateway.list_tags(resource_id=account.account_id) == {
            "vending:team": "checkout",
            "vending:environment": account.environment,
            "vending:compliance-class": "hipaa_pci",
            "vending:request-id": str(request.pk),
        }
    assert CreationSlot.objects.filter(holder__isnull=False).count() == 0
    actions = set(AuditEvent.objects.filter(request=request).values_list("action", flat=True))
    assert {AuditAction.ACCOUNT_CREATE_REQUESTED, AuditAction.ACCOUNT_MOVED} <= actions


@pytest.mark.parametrize(
    "task", ["vending.provision_request", "vending.provision_account", "vending.sweep"]
)
def test_every_task_delivered_twice_does_no_harm(
    users, team, moto_gateway, task_queue, settings, task
):
    request = submit_and_approve(users, team)
    if task == "vending.sweep":
        # The broker lost the provisioning message; every sweep finds the work stale.
        task_queue.messages.clear()
        settings.VENDING_SWEEP_STALE_SECONDS = 0
        task_queue.messages.append((task, (), None))
    while task_queue.messages:
        name, args, _ = task_queue.messages.pop(0)
        for _ in range(2 if name == task else 1):
            task_queue.run_one(name, args)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert sum(1 for n, _ in task_queue.delivered if n == task) >= 2
    emails = sorted(a.email for a in request.accounts.all())
    in_org = sorted(a.email for a in moto_gateway.list_accounts() if a.email in emails)
    assert in_org == emails  # exactly one AWS account per environment
    assert {a.status for a in request.accounts.all()} == {AccountStatus.READY}


def test_a_stored_request_id_is_polled_never_created_again(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team, "general", ["dev"])
    account = request.accounts.get()
    counting = CountingGateway(moto_gateway)
    provisioning_advance(account_id=account.pk, gateway=counting)  # pending -> creating -> call
    account.refresh_from_db()
    assert account.create_request_id
    assert counting.calls["create_account"] == 1
    # A redelivery of the same step polls the stored id.
    provisioning_advance(account_id=account.pk, gateway=counting)
    assert counting.calls["create_account"] == 1
    assert counting.calls["describe_create_account_status"] == 1


def test_an_account_with_the_same_email_is_adopted(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team, "pci", ["qa"])
    account = request.accounts.get()
    # A run that died after CreateAccount but before saving the id left this behind.
    status = moto_gateway.create_account(name=account.name, email=account.email)
    counting = CountingGateway(moto_gateway)
    provisioning_advance(account_id=account.pk, gateway=counting)
    account.refresh_from_db()
    assert "create_account" not in counting.calls
    assert (
        account.account_id
        == moto_gateway.describe_create_account_status(request_id=status.request_id).account_id
    )
    assert AuditEvent.objects.filter(account=account, action=AuditAction.ACCOUNT_ADOPTED).exists()
    task_queue.drain()
    account.refresh_from_db()
    assert account.status == AccountStatus.READY


def test_an_account_already_in_its_ou_is_not_moved(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team, "general", ["dev"])
    account = request.accounts.get()
    status = moto_gateway.create_account(name=account.name, email=account.email)
    account_id = moto_gateway.describe_create_account_status(
        request_id=status.request_id
    ).account_id
    target = moto_gateway.find_organizational_unit(path="GeneralOU")
    moto_gateway.move_account(
        account_id=account_id,
        source_parent_id=moto_gateway.root().id,
        destination_parent_id=target.id,
    )
    counting = CountingGateway(moto_gateway)
    for _ in range(5):
        provisioning_advance(account_id=account.pk, gateway=counting)
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert "move_account" not in counting.calls


def test_missing_ou_fails_with_an_actionable_reason(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team, "general", ["dev"])
    # The blueprint changed (or the OU was deleted) after the request was submitted.
    VendedAccount.objects.filter(request=request).update(target_ou_path="NoSuchOU")
    task_queue.drain()
    account = request.accounts.get()
    request.refresh_from_db()
    assert account.status == AccountStatus.FAILED
    assert "'NoSuchOU' does not exist" in account.failure_reason
    assert request.status == RequestStatus.FAILED


def test_sweeper_requeues_stale_work_and_frees_slots(
    users, team, moto_gateway, task_queue, settings
):
    from datetime import timedelta

    from django.utils import timezone

    request = submit_and_approve(users, team, "general", ["dev", "prod"])
    task_queue.messages.clear()  # the broker lost the message
    dev, prod = request.accounts.order_by("id")
    CreationSlot.objects.create(index=0, holder=prod)  # held by an account not creating
    old = timezone.now() - timedelta(seconds=settings.VENDING_SWEEP_STALE_SECONDS + 5)
    VendedAccount.objects.filter(pk=dev.pk).update(updated_at=old)
    result = provisioning_sweep()
    assert result.accounts_requeued == [dev.pk]
    assert result.slots_reclaimed == 1
    assert [m[:2] for m in task_queue.messages] == [("vending.provision_account", (dev.pk,))]
    # Touched: the next sweep does not enqueue it again.
    assert provisioning_sweep().accounts_requeued == []


def test_identity_broken_after_submission_fails_the_account(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team, "general", ["dev", "prod"])
    VendedAccount.objects.filter(request=request, environment="dev").update(email="no-at-sign")
    task_queue.drain()
    dev = request.accounts.get(environment="dev")
    assert dev.status == AccountStatus.FAILED
    assert dev.failure_code == "INVALID_IDENTITY"
    assert "not a valid e-mail address" in dev.failure_reason
    assert request.accounts.get(environment="prod").status == AccountStatus.READY
