"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# Never let a developer's real AWS configuration leak into a test.
for _name in (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
):
    os.environ.pop(_name, None)


@pytest.fixture
def users(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from vending.roles import ADMINS_GROUP, APPROVERS_GROUP

    User = get_user_model()
    approvers = Group.objects.create(name=APPROVERS_GROUP)
    admins = Group.objects.create(name=ADMINS_GROUP)
    made = {
        name: User.objects.create_user(name, f"{name}@example.com", "pw")
        for name in ("lead", "lead2", "approver1", "approver2", "admin", "nobody")
    }
    made["approver1"].groups.add(approvers)
    made["approver2"].groups.add(approvers)
    made["admin"].groups.add(admins)
    return made


@pytest.fixture
def team(users):  # type: ignore[no-untyped-def]
    from vending.models import Team

    t = Team.objects.create(slug="checkout", name="Checkout")
    t.leads.add(users["lead"])
    return t


@pytest.fixture
def moto_gateway() -> Iterator[object]:
    """A real gateway against moto in-process, with the portal's OUs bootstrapped."""
    from moto import mock_aws

    from vending.aws import OrganizationsGateway
    from vending.services.org_bootstrap import org_bootstrap

    with mock_aws():
        gateway = OrganizationsGateway()
        org_bootstrap(gateway=gateway)
        yield gateway
