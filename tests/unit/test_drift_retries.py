"""The drift scan task tries again when AWS does not answer, a bounded number of times,
against the emulator injecting real faults (5xx and throttling on every call)."""

from __future__ import annotations

import pytest
from botocore.retries import standard

from vending.aws import TransientAwsError

FAULTS_ON = {"fault_rate": 1.0, "fault_kinds": ["5xx", "throttle"]}


@pytest.fixture
def one_attempt_gateway(emulator_org, settings, monkeypatch):  # type: ignore[no-untyped-def]
    """The portal's gateway making each call once: botocore's own retries would ride out
    a short fault by themselves; here the task's retries are what is tested."""
    from vending.aws import get_gateway

    settings.VENDING_AWS_MAX_ATTEMPTS = 1
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)
    get_gateway.cache_clear()
    return emulator_org.emulator


@pytest.fixture
def scan_attempts(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the task's attempts; `heal_after` switches the emulator's faults off
    before that attempt (the outage ends)."""
    from vending import tasks

    attempts: list[int] = []
    heal: dict[str, object] = {}
    real_scan = tasks.drift_scan

    def counted(**kwargs):  # type: ignore[no-untyped-def]
        attempts.append(len(attempts) + 1)
        if heal and len(attempts) == heal["after"]:
            heal["emulator"].app.update_config({"fault_rate": 0.0})  # type: ignore[attr-defined]
        return real_scan(**kwargs)

    monkeypatch.setattr(tasks, "drift_scan", counted)
    return attempts, heal


def test_a_scan_that_aws_did_not_answer_is_retried_until_it_succeeds(
    one_attempt_gateway, scan_attempts
):
    from vending import tasks
    from vending.models import DriftScan

    attempts, heal = scan_attempts
    one_attempt_gateway.app.update_config(FAULTS_ON)
    heal.update(after=3, emulator=one_attempt_gateway)

    result = tasks.org_drift_scan.apply()  # eager: retries run at once, countdowns skipped

    assert result.successful(), result.traceback
    assert attempts == [1, 2, 3]
    scans = list(DriftScan.objects.order_by("started_at"))
    assert [bool(s.error) for s in scans] == [True, True, False]
    assert "ServiceException" in scans[0].error or "TooManyRequests" in scans[0].error


def test_retries_are_bounded_and_the_last_error_is_kept(one_attempt_gateway, scan_attempts):
    from vending import tasks
    from vending.models import DriftScan

    attempts, _ = scan_attempts
    one_attempt_gateway.app.update_config(FAULTS_ON)

    result = tasks.org_drift_scan.apply()

    assert result.failed()
    assert isinstance(result.result, TransientAwsError)
    assert len(attempts) == 1 + tasks.org_drift_scan.max_retries
    assert DriftScan.objects.exclude(error="").count() == len(attempts)
    assert one_attempt_gateway.app.stats()["faults"]  # the emulator really refused
