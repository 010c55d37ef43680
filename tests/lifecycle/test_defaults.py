"""The limits of an account's later life default to AWS's quotas, on the portal's side
and the emulator's (the system tests lower them to stay short)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from vending.emulator.config import EmulatorConfig


@pytest.mark.skipif(
    any(name in os.environ for name in ("VENDING_INVITES_PER_DAY", "VENDING_CLOSE_QUOTA_MIN")),
    reason="the environment sets the limits",
)
def test_the_portal_defaults_to_awss_quotas():
    assert settings.VENDING_INVITES_PER_DAY == 20  # invitations per day
    assert settings.VENDING_CLOSE_QUOTA_PERCENT == 10.0  # of the member accounts ...
    assert (settings.VENDING_CLOSE_QUOTA_MIN, settings.VENDING_CLOSE_QUOTA_MAX) == (10, 1000)


def test_the_emulator_defaults_to_awss_quotas():
    config = EmulatorConfig()
    assert config.invitations_per_day == 20 and config.handshake_expiry_days == 15
    assert (config.close_quota_percent, config.close_quota_min, config.close_quota_max) == (
        10.0,
        10,
        1000,
    )
