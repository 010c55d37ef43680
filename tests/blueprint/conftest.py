from __future__ import annotations

import pytest


@pytest.fixture
def emulator_gateway(monkeypatch, fresh_gateway_cache):
    """A gateway talking to a fresh in-process emulator (AWS's limits enforced)."""
    import json
    import urllib.request

    from vending.aws import get_gateway
    from vending.emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer("127.0.0.1", 0, EmulatorConfig(create_delay_seconds=0.1)) as server:
        req = urllib.request.Request(f"{server.endpoint_url}/_emulator/reset", data=b"{}")
        urllib.request.urlopen(req, timeout=5).read()
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint_url)
        get_gateway.cache_clear()
        gateway = get_gateway()
        gateway.emulator = server  # type: ignore[attr-defined]
        gateway.stats = lambda: json.loads(  # type: ignore[attr-defined]
            urllib.request.urlopen(f"{server.endpoint_url}/_emulator/stats", timeout=5).read()
        )
        yield gateway
