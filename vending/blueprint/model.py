"""The blueprint as typed, validated data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from vending.blueprint.access import AccessSpec

FULL_AWS_ACCESS = "FullAWSAccess"


class Strategy(StrEnum):
    DENY_LIST = "deny_list"
    ALLOW_LIST = "allow_list"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    description: str
    # Minified JSON, exactly as it is sent to AWS.
    content: str
    # "hipaa"/"pci" when generated from the compliance catalog, else "".
    generated_from: str = ""


@dataclass(frozen=True)
class OUSpec:
    name: str
    path: str
    policies: tuple[str, ...] = ()
    children: tuple[OUSpec, ...] = ()
    # None: decided by the strategy (see Blueprint.desired_policies).
    full_aws_access: bool | None = None

    @property
    def depth(self) -> int:
        return self.path.count("/") + 1


@dataclass(frozen=True)
class AccountPin:
    account_id: str
    ou_path: str


@dataclass(frozen=True)
class Blueprint:
    source: str
    feature_set: str
    strategy: Strategy
    policies: dict[str, PolicySpec]
    root_policies: tuple[str, ...]
    ous: tuple[OUSpec, ...]
    classes: dict[str, str]
    accounts: tuple[AccountPin, ...] = ()
    root_full_aws_access: bool | None = None
    warnings: tuple[str, ...] = field(default=())
    # Default monthly budgets in USD: class -> environment -> amount (blueprint/budgets.py).
    budgets: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # Identity Center permission sets per class and environment; None: not managed.
    access: AccessSpec | None = None

    def walk(self) -> list[OUSpec]:
        """Every OU, parents before children."""
        out: list[OUSpec] = []
        stack = list(reversed(self.ous))
        while stack:
            ou = stack.pop()
            out.append(ou)
            stack.extend(reversed(ou.children))
        return sorted(out, key=lambda o: (o.depth, o.path))

    def ou(self, path: str) -> OUSpec | None:
        return next((o for o in self.walk() if o.path == path), None)

    def desired_policies(self, target: str) -> tuple[str, ...]:
        """Names of the SCPs `target` ("" for the root, else an OU path) must carry.

        FullAWSAccess stays wherever the blueprint does not replace it: always under
        deny_list; under allow_list it is detached from OUs that carry a generated
        Allow list (otherwise same-level OR would make the list restrict nothing).
        """
        if target == "":
            listed, keep = self.root_policies, self.root_full_aws_access
        else:
            ou = self.ou(target)
            if ou is None:
                raise KeyError(target)
            listed, keep = ou.policies, ou.full_aws_access
        if keep is None:
            keep = not (
                self.strategy == Strategy.ALLOW_LIST
                and any(self.policies[n].generated_from for n in listed if n in self.policies)
            )
        return (FULL_AWS_ACCESS, *listed) if keep else tuple(listed)
