"""The IAM policy of one of the portal's own roles, rendered from the table of
`vending.aws.permissions` with the resource types of the pinned IAM data.

One statement per capability and resource scope: the actions AWS authorizes only on
`*` (CreateAccount, ListAccounts, ...) in one, the actions that always name a resource
in a second (`<Sid>Scoped`), scoped to the ARNs of the organization (its id and
the management account's, when given; `*` in their place otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vending.aws.permissions import Capability, capabilities_for
from vending.compliance.iam import action_requires_resource, action_resource_formats

POLICY_VERSION = "2012-10-17"
# The portal manages SCPs and invitations only: their ARNs name these types.
_FIXED = {"PolicyType": "service_control_policy", "HandshakeType": "invite"}
# AWS's own SCP, which the allow-list strategy attaches and detaches; its ARN is of the
# `awspolicy` type, which the reference does not list under AttachPolicy/DetachPolicy.
_FULL_AWS_ACCESS = (
    "arn:{partition}:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
)
_VARIABLE = re.compile(r"\$\{(\w+)\}")


class RolePolicyError(ValueError):
    """An option that cannot make a valid policy (a malformed id or ARN)."""


@dataclass(frozen=True)
class Scope:
    """What the ARNs are narrowed to; `*` where unknown."""

    partition: str = "aws"
    account_id: str = "*"
    organization_id: str = "*"  # without its `o-`
    assume_role_arn: str = "*"

    @classmethod
    def build(
        cls,
        *,
        partition: str = "aws",
        account_id: str = "",
        organization_id: str = "",
        assume_role_arn: str = "",
    ) -> Scope:
        if account_id and not re.fullmatch(r"\d{12}", account_id):
            raise RolePolicyError(f"not an AWS account id (12 digits): {account_id!r}")
        if organization_id and not re.fullmatch(r"o-[a-z0-9]{10,32}", organization_id):
            raise RolePolicyError(f"not an organization id (o-...): {organization_id!r}")
        if assume_role_arn and not re.fullmatch(
            r"arn:[\w-]+:iam::\d{12}:role/\S+", assume_role_arn
        ):
            raise RolePolicyError(f"not an IAM role ARN: {assume_role_arn!r}")
        return cls(
            partition=partition,
            account_id=account_id or "*",
            organization_id=organization_id.removeprefix("o-") or "*",
            assume_role_arn=assume_role_arn or "*",
        )

    def arn(self, template: str) -> str:
        values = {
            "Partition": self.partition,
            "Account": self.account_id,
            "ManagementAccountId": self.account_id,
            "OrganizationId": self.organization_id,
            **_FIXED,
        }
        return _VARIABLE.sub(lambda m: values.get(m.group(1), "*"), template)


def role_policy(role: str, scope: Scope | None = None) -> dict[str, Any]:
    """The policy document for `role` (worker, web, bootstrap, caller)."""
    scope = scope or Scope()
    statements: list[dict[str, Any]] = []
    for capability in capabilities_for(role):
        statements.extend(_statements(capability, scope))
    return {"Version": POLICY_VERSION, "Statement": statements}


def _statements(capability: Capability, scope: Scope) -> list[dict[str, Any]]:
    anywhere = [a for a in capability.actions if not action_requires_resource(a)]
    scoped = [a for a in capability.actions if action_requires_resource(a)]
    out = []
    if anywhere:
        out.append(_statement(capability.sid, anywhere, ["*"]))
    if scoped:
        resources = sorted({arn for action in scoped for arn in _resources(action, scope)})
        out.append(_statement(f"{capability.sid}Scoped", scoped, resources))
    return out


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resources[0] if resources == ["*"] else resources,
    }


def _resources(action: str, scope: Scope) -> list[str]:
    if action.lower() == "sts:assumerole":
        return [scope.assume_role_arn]
    arns = [scope.arn(template) for template in action_resource_formats(action) or ()]
    if any(":policy/" in arn for arn in arns):
        arns.append(_FULL_AWS_ACCESS.format(partition=scope.partition))
    return arns
