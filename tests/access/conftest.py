"""Fixtures of the Identity Center access tests: Identity Center switched on, with the
blueprint's permission sets and the team's IdP group made in moto or the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from vending.aws.identity_center import IdentityCenterGateway, get_identity_center
from vending.blueprint.current import current_blueprint

PERMISSION_SETS = ("PowerUserAccess", "ReadOnlyAccess", "BreakGlassAccess")


@dataclass
class IdentityCenter:
    gateway: IdentityCenterGateway
    instance_arn: str
    identity_store_id: str
    permission_sets: dict[str, str]  # name -> ARN
    groups: dict[str, str]  # display name -> id

    def assignments(self, account_id: str, permission_set: str) -> list[str]:
        """The principals ListAccountAssignments names (one entry per assignment)."""
        return [
            a.principal_id
            for a in self.gateway.list_account_assignments(
                instance_arn=self.instance_arn,
                account_id=account_id,
                permission_set_arn=self.permission_sets[permission_set],
            )
        ]

    def add_group(self, name: str) -> str:
        self.groups[name] = self.gateway.create_group(
            identity_store_id=self.identity_store_id, display_name=name
        )
        return self.groups[name]


def identity_center_setup(
    gateway: IdentityCenterGateway, *, groups: tuple[str, ...] = ("checkout",)
) -> IdentityCenter:
    instance = gateway.list_instances()[0]
    access = current_blueprint().access
    assert access is not None and set(access.permission_sets) == set(PERMISSION_SETS)
    made = IdentityCenter(gateway, instance.instance_arn, instance.identity_store_id, {}, {})
    for name in PERMISSION_SETS:
        made.permission_sets[name] = gateway.create_permission_set(
            instance_arn=instance.instance_arn, name=name
        ).arn
    for group in groups:
        made.add_group(group)
    return made


@pytest.fixture
def identity_center_on(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.VENDING_IDENTITY_CENTER = True
    settings.VENDING_SSO_START_URL = "https://d-1234567890.awsapps.com/start"
    get_identity_center.cache_clear()  # built with the test's endpoint
    yield
    get_identity_center.cache_clear()


@pytest.fixture
def moto_identity_center(moto_gateway, identity_center_on) -> IdentityCenter:  # type: ignore[no-untyped-def]
    """moto in-process (its assignments are synchronous, and repeated ones listed twice)."""
    return identity_center_setup(get_identity_center())


@pytest.fixture
def emulated_identity_center(emulator_org, identity_center_on) -> IdentityCenter:  # type: ignore[no-untyped-def]
    """The emulator (assignments asynchronous, as in AWS), with the org blueprint applied."""
    emulator_org.emulator.app.update_config({"assignment_delay_seconds": 0.2})
    return identity_center_setup(get_identity_center())
