"""Build the simulator's levels (root -> OUs -> account) from the live organization.

Everything goes through `OrganizationsGateway`; the simulator itself never talks to AWS.
Each builder fetches every policy document once per call: the same SCP (FullAWSAccess
above all) is usually attached at several levels, and DescribePolicy is throttled like
every Organizations call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Protocol

from vending.aws.types import (
    Account,
    Organization,
    OrganizationalUnit,
    Parent,
    ParentType,
    PolicySummary,
)
from vending.aws.types import Policy as AwsPolicy
from vending.aws.types import Root as AwsRoot
from vending.compliance.simulator import Level, Policy

# The root, at most 5 nested OUs (Organizations quota) and the account: anything deeper
# means a loop in what the API answered, so stop instead of walking forever.
_MAX_DEPTH = 8

# AWS attaches FullAWSAccess to every new account when SCPs are enabled ("SCP
# evaluation", How SCPs work with Allow), so a hypothetical new account gets it too.
FULL_AWS_ACCESS = Policy(
    name="FullAWSAccess",
    document={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
)
NEW_ACCOUNT_NAME = "new account"


class PlacementGateway(Protocol):
    """The slice of `OrganizationsGateway` this module reads (fakes implement just this)."""

    def root(self) -> AwsRoot: ...

    def describe_organization(self) -> Organization | None: ...

    def describe_account(self, *, account_id: str) -> Account: ...

    def list_parents(self, *, child_id: str) -> list[Parent]: ...

    def list_organizational_units(self, *, parent_id: str) -> list[OrganizationalUnit]: ...

    def list_policies_for_target(self, *, target_id: str) -> list[PolicySummary]: ...

    def describe_policy(self, *, policy_id: str) -> AwsPolicy: ...


class _PolicyLoader:
    """Attached SCPs per target, each document fetched and parsed once."""

    def __init__(self, gateway: PlacementGateway) -> None:
        self._gateway = gateway
        self._documents: dict[str, Policy] = {}

    def for_target(self, target_id: str) -> tuple[Policy, ...]:
        return tuple(
            self._load(summary)
            for summary in self._gateway.list_policies_for_target(target_id=target_id)
        )

    def _load(self, summary: PolicySummary) -> Policy:
        if summary.id not in self._documents:
            content = self._gateway.describe_policy(policy_id=summary.id).content
            self._documents[summary.id] = Policy(name=summary.name, document=json.loads(content))
        return self._documents[summary.id]


def _child_ou(
    gateway: PlacementGateway, parent_id: str, *, key: str, value: str
) -> OrganizationalUnit | None:
    """The OU under `parent_id` whose `key` ("id" or "name") equals `value`."""
    return next(
        (
            ou
            for ou in gateway.list_organizational_units(parent_id=parent_id)
            if getattr(ou, key) == value
        ),
        None,
    )


def _ancestor_ids(gateway: PlacementGateway, account_id: str) -> list[str]:
    """The OU ids between the root and the account, root side first."""
    ou_ids: list[str] = []
    child = account_id
    for _ in range(_MAX_DEPTH):
        parents = gateway.list_parents(child_id=child)
        if not parents:
            raise LookupError(f"{child} has no parent in the organization")
        parent = parents[0]  # an account or OU has exactly one parent
        if parent.type == ParentType.ROOT:
            return list(reversed(ou_ids))
        ou_ids.append(parent.id)
        child = parent.id
    raise LookupError(f"No root found within {_MAX_DEPTH} levels above account {account_id}")


def _upper_levels(
    gateway: PlacementGateway, loader: _PolicyLoader, ous: Sequence[OrganizationalUnit]
) -> list[Level]:
    root = gateway.root()
    levels = [Level("root", root.name or "Root", root.id, loader.for_target(root.id))]
    levels += [Level("ou", ou.name, ou.id, loader.for_target(ou.id)) for ou in ous]
    return levels


def levels_for_account(gateway: PlacementGateway, account_id: str) -> tuple[list[Level], bool]:
    """The levels above an existing account, and whether it is the management account."""
    org = gateway.describe_organization()
    if org is None:
        raise LookupError("This AWS account is not in an organization: there are no SCPs")
    loader = _PolicyLoader(gateway)
    # ListParents gives ids only; OU names come from listing each parent's children.
    ous: list[OrganizationalUnit] = []
    parent_id = gateway.root().id
    for ou_id in _ancestor_ids(gateway, account_id):
        ou = _child_ou(gateway, parent_id, key="id", value=ou_id)
        if ou is None:
            raise LookupError(f"OU {ou_id} above account {account_id} is not under {parent_id}")
        ous.append(ou)
        parent_id = ou.id
    levels = _upper_levels(gateway, loader, ous)
    # The account's name, not its id, is what the reasons shown to people should say.
    name = gateway.describe_account(account_id=account_id).name or account_id
    levels.append(Level("account", name, account_id, loader.for_target(account_id)))
    return levels, org.management_account_id == account_id


def levels_for_ou_path(
    gateway: PlacementGateway, ou_path: str, *, account_policies: list[Policy] | None = None
) -> list[Level]:
    """The levels a new account would have if placed in `ou_path` (e.g. "HipaaOU/HipaaPciOU").

    The account level carries FullAWSAccess, as AWS attaches it to every new account,
    unless `account_policies` says otherwise. An empty path means directly under the root.
    """
    loader = _PolicyLoader(gateway)
    parent_id = gateway.root().id
    ous: list[OrganizationalUnit] = []
    for name in [part for part in ou_path.split("/") if part]:
        ou = _child_ou(gateway, parent_id, key="name", value=name)
        if ou is None:
            where = "/".join(o.name for o in ous) or "the root"
            raise LookupError(
                f"No OU {ou_path!r} in the organization: {name!r} is not under {where}"
            )
        ous.append(ou)
        parent_id = ou.id
    levels = _upper_levels(gateway, loader, ous)
    policies = (FULL_AWS_ACCESS,) if account_policies is None else tuple(account_policies)
    levels.append(Level("account", NEW_ACCOUNT_NAME, "", policies))
    return levels
