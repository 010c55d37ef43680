"""Every Organizations call the gateway makes is counted by operation and outcome, with
the same reading of errors as the gateway's (transient or permanent)."""

from __future__ import annotations

import pytest
from moto import mock_aws

from tests.metrics.conftest import Scraper, value
from vending.aws import OrganizationsGateway, PermanentAwsError, TransientAwsError
from vending.aws.session import GatewayConfig
from vending.aws.types import CreateAccountState

pytestmark = pytest.mark.django_db

CALLS = "vending_organizations_calls_total"


def calls(scraper: Scraper, operation: str, outcome: str = "ok", code: str = "") -> float:
    return value(scraper.samples(), CALLS, operation=operation, outcome=outcome, code=code)


@pytest.fixture
def moto_org():
    with mock_aws():
        gateway = OrganizationsGateway()
        gateway.create_organization()
        yield gateway


def test_a_call_is_counted_once_under_its_operation(scraper, moto_org):
    before = {op: calls(scraper, op) for op in ("CreateAccount", "DescribeCreateAccountStatus")}
    status = moto_org.create_account(name="metrics", email="aws+metrics@example.com")
    read = moto_org.describe_create_account_status(request_id=status.request_id)
    assert read.state == CreateAccountState.SUCCEEDED
    moto_org.describe_create_account_status(request_id=status.request_id)
    assert calls(scraper, "CreateAccount") == before["CreateAccount"] + 1
    assert (
        calls(scraper, "DescribeCreateAccountStatus") == before["DescribeCreateAccountStatus"] + 2
    )


def test_every_page_of_a_list_is_a_call(scraper, moto_org):
    root = moto_org.root()
    for i in range(25):
        moto_org.create_organizational_unit(parent_id=root.id, name=f"ou-{i:02d}")
    # ListOrganizationalUnitsForParent answers 20 at most per page in moto.
    before = calls(scraper, "ListOrganizationalUnitsForParent")
    assert len(moto_org.list_organizational_units(parent_id=root.id)) == 25
    assert calls(scraper, "ListOrganizationalUnitsForParent") == before + 2


def test_a_refused_call_counts_as_permanent_with_its_code(scraper, moto_org):
    labels = {"outcome": "permanent", "code": "AccountNotFoundException"}
    before = calls(scraper, "DescribeAccount", **labels)
    ok_before = calls(scraper, "DescribeAccount")
    with pytest.raises(PermanentAwsError) as raised:
        moto_org.describe_account(account_id="999999999999")
    assert raised.value.code == "AccountNotFoundException"
    assert calls(scraper, "DescribeAccount", **labels) == before + 1
    assert calls(scraper, "DescribeAccount") == ok_before  # not counted as a success too


@pytest.mark.parametrize(
    ("kind", "code"),
    [("throttle", "TooManyRequestsException"), ("5xx", "ServiceException")],
)
def test_a_throttled_or_failed_call_counts_as_transient(scraper, emulator, monkeypatch, kind, code):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    gateway = OrganizationsGateway(GatewayConfig(max_attempts=1))  # no retry: one call
    gateway.create_organization()
    emulator.app.update_config(
        {"fault_rate": 1.0, "fault_kinds": [kind], "fault_operations": ["ListRoots"]}
    )
    before = calls(scraper, "ListRoots", "transient", code)
    with pytest.raises(TransientAwsError):
        gateway.list_roots()
    assert calls(scraper, "ListRoots", "transient", code) == before + 1


def test_retries_inside_botocore_count_as_one_call(scraper, emulator, monkeypatch):
    """The count is of the portal's calls; botocore's own retries are inside one."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    # botocore's backoff between its attempts (seconds, for a throttle) is not what is
    # counted: no waiting for it.
    monkeypatch.setattr(
        "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0.0
    )
    gateway = OrganizationsGateway(GatewayConfig(max_attempts=2))
    gateway.create_organization()
    emulator.app.update_config(
        {"fault_rate": 1.0, "fault_kinds": ["throttle"], "fault_operations": ["ListRoots"]}
    )
    code = "TooManyRequestsException"
    before = calls(scraper, "ListRoots", "transient", code)
    with pytest.raises(TransientAwsError):
        gateway.list_roots()
    assert calls(scraper, "ListRoots", "transient", code) == before + 1
    assert emulator.app.stats()["faults"]["ListRoots"] > 1  # botocore did retry inside it


def test_a_call_that_gets_no_answer_counts_as_transient(scraper, monkeypatch):
    from tests.system.harness import free_port

    # Nothing listens there: the connection is refused at once.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    gateway = OrganizationsGateway(GatewayConfig(max_attempts=1))
    labels = {"outcome": "transient", "code": "EndpointConnectionError"}
    before = calls(scraper, "ListRoots", **labels)
    with pytest.raises(TransientAwsError):
        gateway.list_roots()
    assert calls(scraper, "ListRoots", **labels) == before + 1


def test_every_client_of_the_gateway_is_counted(scraper, moto_org):
    """Each thread builds its own clients; each is counted, and only once."""
    import threading

    before = calls(scraper, "ListRoots")
    worker = threading.Thread(target=moto_org.list_roots)
    worker.start()
    worker.join()
    moto_org.list_roots()
    assert calls(scraper, "ListRoots") == before + 2


def test_a_failure_to_count_never_fails_the_call(moto_org, monkeypatch, caplog):
    from vending.aws import call_metrics

    def full_disk(**labels: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(call_metrics.ORGANIZATIONS_CALLS, "labels", full_disk)
    assert moto_org.root().id.startswith("r-")
    with pytest.raises(PermanentAwsError):  # AWS's own error still comes through as such
        moto_org.describe_account(account_id="999999999999")
    assert "Could not count the ListRoots call" in caplog.text
