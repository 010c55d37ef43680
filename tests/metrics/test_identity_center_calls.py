"""Every Identity Center call (sso-admin, identitystore) is counted, by service and
operation, in a counter of its own."""

from __future__ import annotations

import pytest
from moto import mock_aws

from tests.metrics.conftest import Scraper, value
from vending.aws.identity_center import IdentityCenterGateway

pytestmark = pytest.mark.django_db


def counted(scraper: Scraper, operation: str, service: str = "sso-admin") -> float:
    return value(
        scraper.samples(),
        "vending_aws_calls_total",
        service=service,
        operation=operation,
        outcome="ok",
        code="",
    )


def test_identity_center_calls_are_counted(scraper: Scraper):
    with mock_aws():
        gateway = IdentityCenterGateway()
        before = counted(scraper, "ListInstances"), counted(scraper, "GetGroupId", "identitystore")
        (instance,) = gateway.list_instances()
        gateway.create_group(identity_store_id=instance.identity_store_id, display_name="g")
        gateway.find_group_id(identity_store_id=instance.identity_store_id, display_name="g")
    assert counted(scraper, "ListInstances") == before[0] + 1
    assert counted(scraper, "GetGroupId", "identitystore") == before[1] + 1
    # Not in the Organizations counter.
    organizations = [
        dict(labels) for (name, labels) in scraper.samples() if name.startswith("vending_org")
    ]
    assert not [labels for labels in organizations if labels.get("operation") == "ListInstances"]
