"""The creation duration histogram: one observation per account created, from its
CreateAccount request to the moment the portal saw it succeed; adoptions, failures,
rolled-back changes and repeated deliveries observe nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from tests.metrics.conftest import Scraper
from tests.metrics.test_gauges import NOW, at, make_request, set_account, start_provisioning
from vending.audit import account_adopted
from vending.choices import AccountStatus, RequestStatus
from vending.errors import InvalidTransition
from vending.models import VendedAccount
from vending.transitions import transition

HISTOGRAM = "vending_account_creation_seconds"


def histogram(scraper: Scraper) -> dict[str, float]:
    """count, sum and each bucket (`le`) of the histogram; zeros before any observation."""
    seen = {"count": 0.0, "sum": 0.0}
    for (name, labels), v in scraper.samples().items():
        if name == f"{HISTOGRAM}_count":
            seen["count"] = v
        elif name == f"{HISTOGRAM}_sum":
            seen["sum"] = v
        elif name == f"{HISTOGRAM}_bucket":
            seen[dict(labels)["le"]] = v
    return seen


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after if after[k] != before.get(k, 0.0)}


def creating_account(users, team, *, requested_before: float, car: str | None = "car-1"):  # type: ignore[no-untyped-def]
    request = make_request(users, team, ["dev"])
    start_provisioning(request)
    return set_account(
        request,
        "dev",
        status=AccountStatus.CREATING,
        create_request_id=car,
        create_requested_at=NOW - timedelta(seconds=requested_before),
    )


def to_placing(account: VendedAccount) -> VendedAccount:
    with at(0):
        return transition(account, to=AccountStatus.PLACING, fields={"account_id": "123456789012"})


@pytest.mark.django_db
def test_a_creation_is_observed_once(scraper, users, team, django_capture_on_commit_callbacks):
    account = creating_account(users, team, requested_before=42)
    before = histogram(scraper)
    with django_capture_on_commit_callbacks(execute=True):
        to_placing(account)
    change = delta(histogram(scraper), before)
    assert change.pop("count") == 1
    assert change.pop("sum") == pytest.approx(42)
    # Cumulative buckets: 42 s is in every bucket from 60 up, in none below.
    assert change == {le: 1 for le in ("60.0", "90.0", "120.0", "180.0", "300.0", "600.0",
                                       "900.0", "1800.0", "3600.0", "+Inf")}  # fmt: skip

    # Another delivery of the same step moves nothing and observes nothing.
    after = histogram(scraper)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidTransition):
        to_placing(account)
    assert histogram(scraper) == after


@pytest.mark.django_db
def test_nothing_is_observed_until_the_change_commits(
    scraper, users, team, django_capture_on_commit_callbacks
):
    account = creating_account(users, team, requested_before=10)
    before = histogram(scraper)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        to_placing(account)
        raise RuntimeError("the worker died before the commit")
    assert histogram(scraper) == before
    account.refresh_from_db()
    assert account.status == AccountStatus.CREATING


@pytest.mark.django_db
def test_an_adopted_account_is_not_a_creation(
    scraper, users, team, django_capture_on_commit_callbacks
):
    # Found by its e-mail before any CreateAccount: no `car-` id at all.
    found = creating_account(users, team, requested_before=30, car=None)
    # CreateAccount answered EMAIL_ALREADY_EXISTS and the account was found by e-mail.
    clashed = creating_account(users, team, requested_before=50, car="car-2")
    with at(5):
        account_adopted(account=clashed, aws_account_id="210987654321", how="e-mail exists")
    before = histogram(scraper)
    with django_capture_on_commit_callbacks(execute=True):
        to_placing(found)
        with at(0):
            # As `account_creation.adopt` does: the change to placing says it adopted.
            transition(
                clashed,
                to=AccountStatus.PLACING,
                fields={"account_id": "210987654321", "adopted": True},
            )
    assert histogram(scraper) == before


@pytest.mark.django_db
def test_a_failed_creation_is_not_observed(
    scraper, users, team, django_capture_on_commit_callbacks
):
    account = creating_account(users, team, requested_before=20)
    before = histogram(scraper)
    with django_capture_on_commit_callbacks(execute=True):
        transition(account, to=AccountStatus.FAILED, fields={"failure_code": "INTERNAL_FAILURE"})
    assert histogram(scraper) == before


@pytest.mark.django_db(transaction=True)
def test_provisioning_observes_each_account_it_creates(
    scraper, users, team, moto_gateway, task_queue
):
    from vending.services.requests import account_request_approve, account_request_create

    before = histogram(scraper)
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev", "test"],
        justification="metrics",
    )
    account_request_approve(request=request, approver=users["approver1"])
    task_queue.drain()
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    change = delta(histogram(scraper), before)
    assert change["count"] == 2
    assert change["+Inf"] == 2
