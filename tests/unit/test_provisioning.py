"""Provisioning against moto in-process (CreateAccount answers SUCCEEDED at once there;
the asynchronous behaviour is covered against the emulator)."""

import pytest

from vending.aws import PermanentAwsError, TransientAwsError
from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.models import AuditEvent, CreationSlot, VendedAccount
from vending.naming import account_tags
from vending.services.account_creation import CREATION_RATE_LIMIT
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
            "vending:owner": "lead",
            "vending:cost-centre": "checkout",
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


def test_the_normal_path_calls_create_and_move_and_nothing_else(
    users, team, moto_gateway, task_queue, monkeypatch
):
    import vending.services.provisioning as provisioning

    counting = CountingGateway(moto_gateway)
    monkeypatch.setattr(provisioning, "get_gateway", lambda: counting)
    request = submit_and_approve(users, team, "hipaa_pci")
    task_queue.drain()
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    # moto answers CreateAccount SUCCEEDED at once, so there is no status to read. No
    # adoption checks, no OU lookups (ids kept by the blueprint apply), no ListParents
    # (a created account starts under the root), no TagResource (tags go with creation).
    assert counting.calls == {"create_account": 4, "move_account": 4}
    for account in request.accounts.all():
        [created] = AuditEvent.objects.filter(
            account=account, action=AuditAction.ACCOUNT_CREATE_REQUESTED
        )
        assert created.data["tags"] == moto_gateway.list_tags(resource_id=account.account_id)
        assert created.data["recovered"] is False
    assert not AuditEvent.objects.filter(request=request, action=AuditAction.ACCOUNT_TAGGED)


class LostAnswer:
    """The real (moto) gateway whose CreateAccount is carried out and then answered with
    a 5xx: AWS created the account, the portal never learned its `car-` id."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_account(self, **kwargs):
        self.inner.create_account(**kwargs)
        raise TransientAwsError(
            "internal error",
            code="ServiceException",
            operation="CreateAccount",
            may_have_acted=True,
        )


def test_a_lost_create_answer_is_recovered_by_adoption_not_a_second_create(
    users, team, moto_gateway, task_queue
):
    request = submit_and_approve(users, team, "pci", ["qa"])
    account = request.accounts.get()
    with pytest.raises(TransientAwsError):
        provisioning_advance(account_id=account.pk, gateway=LostAnswer(moto_gateway))
    account.refresh_from_db()
    # The marker stays: the earlier attempt may have reached AWS.
    assert account.create_requested_at is not None and account.create_request_id is None
    assert account.lease_until is None  # the retry may go at once

    retry = CountingGateway(moto_gateway)
    provisioning_advance(account_id=account.pk, gateway=retry)  # the task's retry
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert "create_account" not in retry.calls
    assert retry.calls["list_create_account_status"] == 1  # in progress under its name?
    assert retry.calls["find_account_by_email"] == 1  # then: an account with its e-mail?
    assert [a.email for a in moto_gateway.list_accounts()].count(account.email) == 1
    assert account.adopted
    # Nothing says the adopted account carries the tags: they are set, and the trail says so.
    assert moto_gateway.list_tags(resource_id=account.account_id) == account_tags(account)
    actions = set(AuditEvent.objects.filter(account=account).values_list("action", flat=True))
    assert {AuditAction.ACCOUNT_ADOPTED, AuditAction.ACCOUNT_TAGGED} <= actions
    assert AuditAction.ACCOUNT_CREATE_REQUESTED not in actions


class RefusedCreate:
    """The real (moto) gateway whose CreateAccount AWS refuses (a 4xx): nothing made."""

    def __init__(self, inner, error):
        self.inner, self.error, self.refusals = inner, error, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_account(self, **kwargs):
        if self.refusals:
            self.refusals -= 1
            raise self.error
        return self.inner.create_account(**kwargs)


@pytest.mark.parametrize(
    "error",
    [
        TransientAwsError("Rate exceeded", code="TooManyRequestsException"),
        PermanentAwsError(
            "too many", code="ConstraintViolationException", reason=CREATION_RATE_LIMIT
        ),
    ],
)
def test_a_refused_create_clears_the_marker_and_recovery_is_skipped(
    users, team, moto_gateway, task_queue, error
):
    request = submit_and_approve(users, team, "general", ["dev"])
    account = request.accounts.get()
    refused = RefusedCreate(CountingGateway(moto_gateway), error)
    refused.refusals = 1
    try:
        countdown = provisioning_advance(account_id=account.pk, gateway=refused)
    except TransientAwsError:
        countdown = None
    account.refresh_from_db()
    assert account.create_requested_at is None and account.create_attempts == 0
    if error.reason == CREATION_RATE_LIMIT:
        # No creation is in progress: AWS's slot is free, so the next try is soon.
        assert countdown is not None and countdown <= 1.0
    provisioning_advance(account_id=account.pk, gateway=refused)
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert "find_account_by_email" not in refused.inner.calls
    assert refused.inner.calls["create_account"] == 1


def test_a_second_delivery_leaves_the_account_to_the_one_working_on_it(
    users, team, moto_gateway, task_queue, settings
):
    from datetime import timedelta

    from django.utils import timezone

    request = submit_and_approve(users, team, "general", ["dev"])
    account = request.accounts.get()
    # A delivery is working on the account (it holds the lease).
    VendedAccount.objects.filter(pk=account.pk).update(
        lease_until=timezone.now() + timedelta(seconds=60)
    )
    counting = CountingGateway(moto_gateway)
    assert provisioning_advance(account_id=account.pk, gateway=counting) is None
    account.refresh_from_db()
    assert account.status == AccountStatus.PENDING and counting.calls == {}
    # Its worker died: once the lease is stale, the next delivery takes the account over.
    VendedAccount.objects.filter(pk=account.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert provisioning_advance(account_id=account.pk, gateway=counting) is None
    account.refresh_from_db()
    assert account.status == AccountStatus.READY and account.lease_until is None
    assert counting.calls == {"create_account": 1, "move_account": 1}


def test_an_account_left_by_an_interrupted_create_is_adopted(users, team, moto_gateway, task_queue):
    from django.utils import timezone

    request = submit_and_approve(users, team, "pci", ["qa"])
    account = request.accounts.get()
    # A worker died after CreateAccount, before saving the id: the marker is committed,
    # the account exists, already moved into its OU by someone.
    VendedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.CREATING, create_requested_at=timezone.now(), create_attempts=1
    )
    status = moto_gateway.create_account(name=account.name, email=account.email)
    account_id = moto_gateway.describe_create_account_status(
        request_id=status.request_id
    ).account_id
    moto_gateway.move_account(
        account_id=account_id,
        source_parent_id=moto_gateway.root().id,
        destination_parent_id=moto_gateway.find_organizational_unit(path="PciOU").id,
    )
    counting = CountingGateway(moto_gateway)
    provisioning_advance(account_id=account.pk, gateway=counting)
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert account.account_id == account_id
    assert "create_account" not in counting.calls
    assert "move_account" not in counting.calls  # already in its OU: done
    assert counting.calls["list_parents"] == 1
    assert AuditEvent.objects.filter(account=account, action=AuditAction.ACCOUNT_ADOPTED).exists()


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


def test_sweeper_leaves_a_creation_whose_read_is_due_later(
    users, team, moto_gateway, task_queue, settings
):
    # A creation re-read while in progress keeps the `updated_at` of when its id was
    # stored: its next read being due is what says it is not stuck.
    from datetime import timedelta

    from django.utils import timezone

    request = submit_and_approve(users, team, "general", ["dev"])
    task_queue.messages.clear()
    account = request.accounts.get()
    now = timezone.now()
    old = now - timedelta(seconds=settings.VENDING_SWEEP_STALE_SECONDS + 5)
    VendedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.CREATING,
        create_request_id="car-0123456789abcdef",
        create_requested_at=old,
        updated_at=old,
        check_due_at=now + timedelta(seconds=30),
    )
    assert provisioning_sweep().accounts_requeued == []
    # Its read overdue for longer than the sweeper waits: the message was lost.
    VendedAccount.objects.filter(pk=account.pk).update(check_due_at=old)
    assert provisioning_sweep().accounts_requeued == [account.pk]


def test_identity_broken_after_submission_fails_the_account(users, team, moto_gateway, task_queue):
    request = submit_and_approve(users, team, "general", ["dev", "prod"])
    VendedAccount.objects.filter(request=request, environment="dev").update(email="no-at-sign")
    task_queue.drain()
    dev = request.accounts.get(environment="dev")
    assert dev.status == AccountStatus.FAILED
    assert dev.failure_code == "INVALID_IDENTITY"
    assert "not a valid e-mail address" in dev.failure_reason
    assert request.accounts.get(environment="prod").status == AccountStatus.READY
