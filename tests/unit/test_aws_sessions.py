"""The portal's boto3 sessions: one per thread and configuration, one loader of service
models per process, and the models loaded before a worker forks its pool."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from moto import mock_aws

from vending.aws import session as sessions
from vending.aws.session import GatewayConfig, build_session, service_models_preload


def _in_thread(config: GatewayConfig) -> Any:
    made: list[Any] = []
    thread = threading.Thread(target=lambda: made.append(build_session(config)))
    thread.start()
    thread.join()
    return made[0]


def test_a_thread_keeps_one_session_per_configuration():
    config = GatewayConfig(region="eu-west-1")
    first = build_session(config)
    assert build_session(GatewayConfig(region="eu-west-1")) is first
    assert build_session(GatewayConfig(region="us-west-2")) is not first
    # boto3 sessions are not thread-safe: another thread makes its own.
    assert _in_thread(config) is not first


def test_every_session_reads_the_models_through_one_loader():
    config = GatewayConfig(region="eu-central-1")
    here, there = build_session(config), _in_thread(config)
    loader = here._session.get_component("data_loader")
    assert there._session.get_component("data_loader") is loader
    # boto3 appends its data folder to the loader of each session it makes: shared, the
    # loader keeps each folder once however many sessions there are.
    for _ in range(5):
        _in_thread(config)
    assert len(loader.search_paths) == len(set(loader.search_paths))


def test_the_preload_parses_each_model_once_and_calls_nothing(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(
        "botocore.endpoint.Endpoint.make_request",
        lambda self, *args, **kwargs: calls.append("request"),
    )
    loader = sessions._botocore_session().get_component("data_loader")
    service_models_preload(["organizations", "sso-admin"])
    parsed: list[str] = []
    real_load = loader.file_loader.load_file

    def load_file(path: str) -> Any:
        parsed.append(path)
        return real_load(path)

    monkeypatch.setattr(loader.file_loader, "load_file", load_file)
    with mock_aws():
        client = build_session(GatewayConfig(region="ap-south-1")).client("organizations")
        client.get_paginator("list_accounts")
    assert not [p for p in parsed if "organizations" in p], parsed
    assert calls == []


@pytest.mark.parametrize("data_path", [None, "/nonexistent/models"])
def test_aws_data_path_is_still_honoured(data_path):
    loader = sessions._shared_loader(data_path)
    assert sessions._shared_loader(data_path) is loader
    if data_path:
        assert loader.search_paths[0] == data_path
