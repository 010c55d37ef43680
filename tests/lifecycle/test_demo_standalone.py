"""The demo's account outside the organization (README: inviting an existing account):
made in the emulator once, left alone while it waits to be invited, never made again once
it joined (the emulator keeps its state across `make run`s), and never outside demo mode."""

from __future__ import annotations

import io
import json
import urllib.request

import pytest
from django.core.management import call_command

from vending.errors import PermissionDenied
from vending.services.demo import DEMO_STANDALONE, demo_standalone_account

from .test_decommission import control

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_mode(settings):
    settings.VENDING_EMULATOR = True
    settings.DEBUG = True


def standalone_ids(emulator) -> list[str]:
    with urllib.request.urlopen(f"{emulator.endpoint_url}/_emulator/accounts", timeout=5) as r:
        return [a["account_id"] for a in json.loads(r.read())["accounts"]]


def test_made_once_then_left_alone_then_a_member(emulator_org, demo_mode):
    url = emulator_org.emulator.endpoint_url
    assert demo_standalone_account(endpoint_url=url) == "created"
    assert demo_standalone_account(endpoint_url=url) == "standalone"
    assert standalone_ids(emulator_org.emulator) == [DEMO_STANDALONE.account_id]

    handshake = emulator_org.invite_account(
        account_id=DEMO_STANDALONE.account_id, email=None, notes="demo"
    )
    control(emulator_org.emulator, f"/handshakes/{handshake.id}/accept")
    assert demo_standalone_account(endpoint_url=url) == "member"
    assert standalone_ids(emulator_org.emulator) == []


@pytest.mark.slow
def test_portal_init_makes_it_and_says_so(emulator_gateway, demo_mode):
    out = io.StringIO()
    call_command("portal_init", "--skip-migrate", stdout=out)
    assert f"account {DEMO_STANDALONE.account_id}" in out.getvalue()
    assert standalone_ids(emulator_gateway.emulator) == [DEMO_STANDALONE.account_id]
    again = io.StringIO()
    call_command("portal_init", "--skip-migrate", stdout=again)
    assert standalone_ids(emulator_gateway.emulator) == [DEMO_STANDALONE.account_id]


def test_never_outside_demo_mode(emulator, settings):
    settings.VENDING_EMULATOR = False
    with pytest.raises(PermissionDenied):
        demo_standalone_account(endpoint_url=emulator.endpoint_url)
    assert standalone_ids(emulator) == []
