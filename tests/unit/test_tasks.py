"""Task retry declarations: transient AWS errors are retried (bounded), nothing else."""

import pytest

from vending.aws import PermanentAwsError, TransientAwsError
from vending.choices import AccountStatus
from vending.services.requests import account_request_approve, account_request_create
from vending.tasks import provision_account

pytestmark = pytest.mark.django_db(transaction=True)


class FlakyGateway:
    """The real (moto) gateway, whose CreateAccount fails `failures` times first."""

    def __init__(self, inner, error, failures):
        self.inner, self.error, self.failures, self.calls = inner, error, failures, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_account(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return self.inner.create_account(**kwargs)


@pytest.fixture
def account(users, team):
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="why",
    )
    account_request_approve(request=request, approver=users["approver1"])
    return request.accounts.get()


def run_eagerly(monkeypatch, gateway, account):
    import vending.services.provisioning as provisioning

    monkeypatch.setattr(provisioning, "get_gateway", lambda: gateway)
    monkeypatch.setattr(provision_account, "retry_backoff", False)  # no sleeping in tests
    monkeypatch.setattr(provision_account, "default_retry_delay", 0)
    return provision_account.apply(args=(account.pk,))


def test_transient_errors_are_retried(monkeypatch, moto_gateway, account, task_queue):
    flaky = FlakyGateway(moto_gateway, TransientAwsError("slow down", code="Throttling"), 3)
    result = run_eagerly(monkeypatch, flaky, account)
    assert result.successful()
    assert flaky.calls == 4
    account.refresh_from_db()
    assert account.create_request_id  # got past the failing call and created
    assert [a.email for a in moto_gateway.list_accounts()].count(account.email) == 1


def test_retries_are_bounded_and_the_work_stays_for_the_sweeper(
    monkeypatch, moto_gateway, account, task_queue
):
    flaky = FlakyGateway(moto_gateway, TransientAwsError("down", code="ServiceException"), 100)
    result = run_eagerly(monkeypatch, flaky, account)
    assert result.failed()
    assert flaky.calls == provision_account.max_retries + 1
    account.refresh_from_db()
    assert account.status == AccountStatus.CREATING  # not failed, not lost


def test_permanent_errors_are_not_retried(monkeypatch, moto_gateway, account, task_queue):
    flaky = FlakyGateway(moto_gateway, PermanentAwsError("no", code="AccessDeniedException"), 100)
    result = run_eagerly(monkeypatch, flaky, account)
    assert result.successful()
    assert flaky.calls == 1
    account.refresh_from_db()
    assert account.status == AccountStatus.FAILED
    assert "may not call" in account.failure_reason
