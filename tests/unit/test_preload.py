"""What a worker loads before it forks its pool, and what each pool process builds before
its first task: neither may stop a worker from starting."""

from __future__ import annotations

import logging

import pytest

from vending import preload
from vending.blueprint import current


def test_the_preload_leaves_the_blueprint_parsed():
    current._load.cache_clear()
    preload.process_preload()
    assert current._load.cache_info().currsize == 1
    current.current_blueprint()
    assert current._load.cache_info().hits >= 1


def test_a_broken_blueprint_is_logged_and_the_worker_starts(settings, tmp_path, caplog):
    broken = tmp_path / "blueprint.yaml"
    broken.write_text("organization: [not: a mapping")
    settings.VENDING_BLUEPRINT = str(broken)
    with caplog.at_level(logging.WARNING, logger="vending.preload"):
        preload.process_preload()
    assert "Could not load the blueprint before starting" in caplog.text


def test_models_that_cannot_be_loaded_do_not_stop_the_worker(monkeypatch, caplog):
    def broken() -> None:
        raise OSError("no such file: organizations/2016-11-28/service-2.json")

    monkeypatch.setattr("vending.aws.session.service_models_preload", broken)
    with caplog.at_level(logging.WARNING, logger="vending.preload"):
        preload.process_preload()
    assert "Could not load the AWS service models before starting" in caplog.text
    assert current._load.cache_info().currsize >= 1  # the rest was loaded all the same


def test_a_pool_process_starts_when_aws_cannot_be_reached(settings, monkeypatch, caplog):
    from vending.aws import get_gateway
    from vending.aws.identity_center import get_identity_center

    # An assumed role that cannot be assumed: building the clients fails.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    settings.VENDING_AWS_MAX_ATTEMPTS = 1
    settings.VENDING_ORG_ROLE_ARN = "arn:aws:iam::123456789012:role/Unreachable"
    get_gateway.cache_clear()
    get_identity_center.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="vending.preload"):
            preload.pool_process_warm()
    finally:
        get_gateway.cache_clear()
        get_identity_center.cache_clear()
    assert "Could not prepare the AWS clients of OrganizationsGateway" in caplog.text


@pytest.mark.parametrize("kind", ["approval_needed", "lease_ending"])
def test_every_e_mailed_kind_has_its_templates(kind):
    from django.template.loader import get_template

    from vending.choices import NOTIFICATIONS_EMAILED

    assert kind in NOTIFICATIONS_EMAILED
    get_template(f"emails/{kind}.txt")
