"""Control endpoints, server lifecycle, and the moto services passed through untouched."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.conftest import TEST_CONFIG, Org, client, configure, control
from vending.emulator import EmulatorConfig, EmulatorServer


def test_health(server: EmulatorServer) -> None:
    assert control(server, "GET", "/health") == (200, {"ok": True})


def test_config_reads_and_patches(server: EmulatorServer) -> None:
    assert control(server, "GET", "/config") == (200, TEST_CONFIG.to_dict())

    patched = configure(server, create_delay_seconds=2, fault_kinds=["throttle"])

    assert patched["create_delay_seconds"] == 2
    assert patched["fault_kinds"] == ["throttle"]
    assert patched["scp_max_size"] == 5120  # untouched fields keep their values
    assert control(server, "GET", "/config") == (200, patched)


@pytest.mark.parametrize(
    "patch",
    [
        {"no_such_field": 1},
        {"fault_rate": 1.5},
        {"fault_rate": "high"},
        {"fault_kinds": ["lightning"]},
        {"fault_kinds": "throttle"},
        {"fault_rate": 0.5, "fault_kinds": []},
        {"max_in_progress_creations": 0},
        {"scp_max_per_target": True},
        {"seed": 1.5},
        ["not", "an", "object"],
    ],
)
def test_invalid_config_patches_are_rejected_whole(server: EmulatorServer, patch: Any) -> None:
    status, answer = control(server, "POST", "/config", patch)

    assert status == 400
    assert answer["error"]
    assert control(server, "GET", "/config")[1] == TEST_CONFIG.to_dict()


def test_unknown_endpoints_and_methods(server: EmulatorServer) -> None:
    assert control(server, "GET", "/nope")[0] == 404
    assert control(server, "GET", "/reset")[0] == 405
    assert control(server, "DELETE", "/config")[0] == 405


def test_reset_forgets_everything(org: Org, server: EmulatorServer) -> None:
    org.client.create_account(AccountName="x", Email="x@example.com")

    assert control(server, "POST", "/reset") == (200, {"ok": True})

    with pytest.raises(ClientError) as raised:
        org.client.describe_organization()
    assert raised.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    stats = control(server, "GET", "/stats")[1]
    assert stats == {
        "calls": {"DescribeOrganization": 1},
        "identity_center_calls": {},
        "faults": {},
        "in_progress_creations": 0,
        "max_in_progress_creations": 0,
    }
    # A fresh organization can be created again after a reset.
    org.client.create_organization(FeatureSet="ALL")


def test_stats_count_answered_calls_per_operation(org: Org, server: EmulatorServer) -> None:
    control(server, "POST", "/stats/reset")
    org.client.list_roots()
    org.client.list_roots()
    with pytest.raises(ClientError):
        org.client.describe_account(AccountId="000000000000")
    org.client.create_account(AccountName="x", Email="x@example.com")

    stats = control(server, "GET", "/stats")[1]

    assert stats["calls"] == {"ListRoots": 2, "DescribeAccount": 1, "CreateAccount": 1}
    assert stats["faults"] == {}
    assert (stats["in_progress_creations"], stats["max_in_progress_creations"]) == (1, 1)
    assert stats["identity_center_calls"] == {}
    client(server, "sso-admin").list_instances()
    identity = control(server, "GET", "/stats")[1]
    assert identity["identity_center_calls"] == {"ListInstances": 1}
    assert identity["calls"] == stats["calls"]  # Organizations' calls are counted apart
    status, after = control(server, "POST", "/stats/reset")
    assert status == 200
    assert after["calls"] == {} and after["identity_center_calls"] == {}
    # A creation still running counts as the new maximum.
    assert after["max_in_progress_creations"] == 1


def test_sts_is_served_by_moto_unchanged(org: Org, server: EmulatorServer) -> None:
    sts = client(server, "sts")

    assert sts.get_caller_identity()["Account"] == org.management_account_id
    assumed = sts.assume_role(
        RoleArn=f"arn:aws:iam::{org.management_account_id}:role/Admin", RoleSessionName="s1"
    )
    assert assumed["Credentials"]["AccessKeyId"]


def test_a_server_on_its_own_port_starts_and_stops() -> None:
    server = EmulatorServer(config=EmulatorConfig(create_delay_seconds=0))
    with pytest.raises(RuntimeError):
        _ = server.endpoint_url

    with server:
        url = server.endpoint_url
        assert url.startswith("http://127.0.0.1:")
        assert control(server, "GET", "/health") == (200, {"ok": True})

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/_emulator/health", timeout=1)
