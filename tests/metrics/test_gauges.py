"""The gauges computed at scrape time, for a database in a known state: accounts by
status, creation slots in use, the accounts waiting for CreateAccount and the age of
the oldest, the Celery queue's depth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from tests.metrics.conftest import value
from vending.choices import AccountStatus, RequestStatus
from vending.models import AccountRequest, CreationSlot, VendedAccount
from vending.transitions import transition

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(seconds_before_now: float):  # type: ignore[no-untyped-def]
    """Django's clock stopped `seconds_before_now` before NOW (rows, events, scrapes)."""
    return mock.patch(
        "django.utils.timezone.now", return_value=NOW - timedelta(seconds=seconds_before_now)
    )


def make_request(users, team, envs, *, status=RequestStatus.PENDING_APPROVAL):  # type: ignore[no-untyped-def]
    request = AccountRequest.objects.create(
        team=team,
        requester=users["lead"],
        compliance_class="general",
        environments=list(envs),
        justification="metrics",
        status=status,
    )
    for env in envs:
        VendedAccount.objects.create(
            request=request,
            environment=env,
            name=f"r{request.pk}-{env}",
            email=f"aws+r{request.pk}-{env}@example.com",
            target_ou_path="GeneralOU",
        )
    return request


def start_provisioning(request):  # type: ignore[no-untyped-def]
    """Through the real transitions, which write the audit events the gauges read."""
    transition(request, to=RequestStatus.APPROVED)
    transition(request, to=RequestStatus.PROVISIONING)


def set_account(request, env, **fields):  # type: ignore[no-untyped-def]
    account = request.accounts.get(environment=env)
    VendedAccount.objects.filter(pk=account.pk).update(**fields)
    return request.accounts.get(environment=env)


def test_accounts_by_status_counts_live_requests_only(scraper, users, team):
    live = make_request(users, team, ["dev", "test", "qa", "prod"])
    set_account(live, "test", status=AccountStatus.CREATING)
    set_account(live, "qa", status=AccountStatus.READY, account_id="111111111111")
    set_account(live, "prod", status=AccountStatus.FAILED)
    other = make_request(users, team, ["dev", "test"])
    set_account(other, "dev", status=AccountStatus.READY, account_id="222222222222")
    set_account(other, "test", status=AccountStatus.PLACING, account_id="333333333333")
    # A rejected request's accounts never existed in AWS: left out.
    rejected = make_request(users, team, ["qa", "prod"])
    rejected.accounts.update(is_active=False)

    samples = scraper.samples()
    assert {
        status: value(samples, "vending_accounts", status=status) for status in AccountStatus.values
    } == {
        "pending": 1,
        "creating": 1,
        "placing": 1,
        "ready": 2,
        "failed": 1,
        "cancelled": 0,  # a closed request's accounts are not live
        # An account's life after creation (invitations, decommissioning): none here.
        "invited": 0,
        "suspended": 0,
        "closing": 0,
        "closed": 0,
        "removed": 0,
    }


def test_creation_slots_in_use_and_their_limit(scraper, users, team, settings):
    settings.VENDING_MAX_CONCURRENT_CREATES = 5
    request = make_request(users, team, ["dev", "test", "qa"])
    accounts = list(request.accounts.all())
    CreationSlot.objects.bulk_create(
        [CreationSlot(index=i, holder=accounts[i] if i < 3 else None) for i in range(5)]
    )
    samples = scraper.samples()
    assert value(samples, "vending_creation_slots_in_use") == 3
    assert value(samples, "vending_creation_slots_limit") == 5

    CreationSlot.objects.filter(index=1).update(holder=None)
    assert value(scraper.samples(), "vending_creation_slots_in_use") == 2


def test_oldest_waiting_account_counts_from_its_start_not_its_submission(scraper, users, team):
    # Submitted long ago, approved 600 s ago: it has waited 600 s, not 5000.
    with at(5000):
        old = make_request(users, team, ["dev"])
    with at(600):
        start_provisioning(old)

    # Waiting for a creation slot (creating, no `car-` id yet) since 300 s ago.
    with at(300):
        slot_wait = make_request(users, team, ["test"])
        start_provisioning(slot_wait)
    set_account(slot_wait, "test", status=AccountStatus.CREATING)

    # Its CreateAccount was answered (a `car-` id): no longer waiting, however old.
    with at(900):
        answered = make_request(users, team, ["qa"])
        start_provisioning(answered)
    set_account(answered, "qa", status=AccountStatus.CREATING, create_request_id="car-1")

    # Failed 1200 s ago and retried by an admin 100 s ago: it waits since the retry.
    with at(1200):
        retried = make_request(users, team, ["prod"])
        start_provisioning(retried)
        account = set_account(retried, "prod", status=AccountStatus.FAILED)
    with at(100):
        transition(account, to=AccountStatus.PENDING)

    # Not approved yet: not waiting for a creation.
    with at(7000):
        make_request(users, team, ["dev", "prod"])

    with at(0):
        samples = scraper.samples()
    assert value(samples, "vending_accounts_waiting_for_creation") == 3
    assert value(samples, "vending_oldest_waiting_account_age_seconds") == 600

    # Once the oldest gets its `car-` id, the next oldest (300 s) is the one shown.
    set_account(old, "dev", status=AccountStatus.CREATING, create_request_id="car-2")
    with at(0):
        samples = scraper.samples()
    assert value(samples, "vending_accounts_waiting_for_creation") == 2
    assert value(samples, "vending_oldest_waiting_account_age_seconds") == 300


def test_nothing_waiting_reads_zero(scraper, users, team):
    make_request(users, team, ["dev"])  # pending approval
    samples = scraper.samples()
    assert value(samples, "vending_accounts_waiting_for_creation") == 0
    assert ("vending_oldest_waiting_account_age_seconds", frozenset()) in samples
    assert value(samples, "vending_oldest_waiting_account_age_seconds") == 0


def test_every_scrape_time_family_is_present_on_an_empty_database(scraper):
    assert {
        "vending_accounts",
        "vending_creation_slots_in_use",
        "vending_creation_slots_limit",
        "vending_accounts_waiting_for_creation",
        "vending_oldest_waiting_account_age_seconds",
        "vending_celery_queue_depth",
    } <= scraper.families()


def test_the_gauges_cost_a_constant_number_of_queries(
    scraper, users, team, django_assert_max_num_queries
):
    for _ in range(3):
        start_provisioning(make_request(users, team, ["dev", "test", "qa", "prod"]))
    with django_assert_max_num_queries(4) as few:
        scraper.samples()
    for _ in range(10):
        start_provisioning(make_request(users, team, ["dev", "test", "qa", "prod"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        scraper.samples()
