"""What the portal's own AWS identity may do: the IAM actions of every gateway call,
grouped by capability.

`manage.py iam_policy` renders a policy from this table; `tests/unit/test_permissions.py`
reads the gateway's source and fails when a call is missing here or an action here is
called by nothing. Add a gateway call, add its action to the capability it serves (with
the method that calls it). A gateway module for another service (a class that builds
`session.client("sso-admin")` and calls `self._call("create_account_assignment", ...)`)
needs, besides its capability here, its client name -> IAM prefix in the test's
`IAM_PREFIX` (sso-admin -> sso) and, where AWS authorizes an operation under another
name, an entry in the test's `AUTHORIZED_AS` (budgets' CreateBudget -> ModifyBudget).

Roles are the identities the policy is for:

- `worker`: the Celery worker's (and `manage.py org apply`'s) role, which creates,
  places and changes accounts and the organization;
- `web`: the web process's role, which only reads (the organization page, the blueprint
  plan, an account's effective policy and tags);
- `bootstrap`: the one-off set-up of a new organization (`portal_init` on an account
  that has none);
- `caller`: the identity the processes start with when they assume
  `VENDING_ORG_ROLE_ARN` (only `sts:AssumeRole` on that role);
- `demo`: what `portal_init` does only against the local emulator (Identity Center's
  permission sets and groups, which on AWS the organization's administrators make).

Where an API operation is authorized by actions of other names, the table lists the
actions AWS checks, not the operation: CreateAccount, CreateOrganizationalUnit and
InviteAccountToOrganization with tags are also checked for `organizations:TagResource`
(Organizations API reference: "If the request includes tags, then the requester must
have the organizations:TagResource permission"); AWS Budgets' CreateBudget, UpdateBudget
and DeleteBudget are `budgets:ModifyBudget`, DescribeBudget(s) `budgets:ViewBudget`
(service authorization reference, "API operations defined by AWS Budget Service").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

WORKER = "worker"
WEB = "web"
BOOTSTRAP = "bootstrap"
CALLER = "caller"
DEMO = "demo"
ROLES = (WORKER, WEB, BOOTSTRAP, CALLER, DEMO)

# Gateway methods, as `Class.method` (or `function.inner` for a module-level function).
GW = "OrganizationsGateway"
LIFE = "AccountLifecycleCalls"
COST = "CostExplorerGateway"
BUDGETS = "BudgetsGateway"
SSO = "IdentityCenterGateway"
CONTACTS = "AccountContactsGateway"


@dataclass(frozen=True)
class Capability:
    """One statement of the policy: what the portal does with these actions."""

    sid: str
    summary: str
    roles: frozenset[str]
    # IAM action -> the gateway methods that call the operation it authorizes.
    uses: Mapping[str, tuple[str, ...]]

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(sorted(self.uses))


def _uses(*pairs: tuple[str, str | tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {
        action: (methods,) if isinstance(methods, str) else methods for action, methods in pairs
    }


# The reads of the organization's shape and its SCPs: the blueprint's plan (and so the
# drift scan), the organization page, an account's effective policy.
_ORG_READS = _uses(
    ("organizations:DescribeOrganization", f"{GW}.describe_organization"),
    ("organizations:ListRoots", f"{GW}.list_roots"),
    ("organizations:ListOrganizationalUnitsForParent", f"{GW}.list_organizational_units"),
    ("organizations:ListAccountsForParent", f"{GW}.list_accounts_for_parent"),
    ("organizations:ListParents", f"{GW}.list_parents"),
    ("organizations:DescribeAccount", f"{GW}.describe_account"),
    ("organizations:ListPolicies", f"{GW}.list_policies"),
    ("organizations:DescribePolicy", f"{GW}.describe_policy"),
    ("organizations:ListPoliciesForTarget", f"{GW}.list_policies_for_target"),
    ("organizations:ListTargetsForPolicy", f"{GW}.list_targets_for_policy"),
)

CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        sid="Vending",
        summary="create accounts (tagged at creation), follow their creation, find one an "
        "earlier attempt made",
        roles=frozenset({WORKER}),
        uses=_uses(
            ("organizations:CreateAccount", f"{GW}.create_account"),
            ("organizations:TagResource", (f"{GW}.create_account", f"{GW}.tag_resource")),
            ("organizations:DescribeCreateAccountStatus", f"{GW}.describe_create_account_status"),
            ("organizations:ListCreateAccountStatus", f"{GW}.list_create_account_status"),
            ("organizations:ListAccounts", f"{GW}.list_accounts"),
            ("organizations:DescribeAccount", f"{GW}.describe_account"),
        ),
    ),
    Capability(
        sid="Placement",
        summary="move a new or changed account into its class's OU",
        roles=frozenset({WORKER}),
        uses=_uses(
            ("organizations:MoveAccount", f"{GW}.move_account"),
            ("organizations:ListParents", f"{GW}.list_parents"),
            ("organizations:ListRoots", f"{GW}.list_roots"),
            ("organizations:ListOrganizationalUnitsForParent", f"{GW}.list_organizational_units"),
        ),
    ),
    Capability(
        sid="BlueprintApply",
        summary="make the organization match the blueprint: OUs, SCPs, their attachments",
        roles=frozenset({WORKER}),
        uses=_uses(
            ("organizations:CreateOrganizationalUnit", f"{GW}.create_organizational_unit"),
            ("organizations:TagResource", f"{GW}.create_organizational_unit"),
            ("organizations:CreatePolicy", f"{GW}.create_policy"),
            ("organizations:UpdatePolicy", f"{GW}.update_policy"),
            ("organizations:AttachPolicy", f"{GW}.attach_policy"),
            ("organizations:DetachPolicy", f"{GW}.detach_policy"),
        ),
    ),
    Capability(
        sid="DriftAndPlan",
        summary="read the organization's shape and SCPs (the blueprint plan, the drift scan, "
        "`org import`; its accounts' tags with --tags)",
        roles=frozenset({WORKER}),
        uses={
            **_ORG_READS,
            **_uses(
                ("organizations:ListChildren", f"{GW}.list_children"),
                ("organizations:ListTagsForResource", f"{GW}.list_tags"),
            ),
        },
    ),
    Capability(
        sid="Lifecycle",
        summary="invite accounts, follow and cancel invitations, remove and close accounts",
        roles=frozenset({WORKER}),
        uses=_uses(
            ("organizations:InviteAccountToOrganization", f"{LIFE}.invite_account"),
            ("organizations:TagResource", f"{LIFE}.invite_account"),
            ("organizations:DescribeHandshake", f"{LIFE}.describe_handshake"),
            ("organizations:ListHandshakesForOrganization", f"{LIFE}.list_handshakes"),
            ("organizations:CancelHandshake", f"{LIFE}.cancel_handshake"),
            ("organizations:RemoveAccountFromOrganization", f"{LIFE}.remove_account"),
            ("organizations:CloseAccount", f"{LIFE}.close_account"),
        ),
    ),
    Capability(
        sid="Access",
        summary="give the team's IdP group the blueprint's permission sets on its accounts "
        "through IAM Identity Center, follow the assignments, take them away",
        roles=frozenset({WORKER}),
        uses=_uses(
            ("sso:ListInstances", f"{SSO}.list_instances"),
            ("sso:ListPermissionSets", f"{SSO}.list_permission_sets"),
            ("sso:DescribePermissionSet", f"{SSO}.describe_permission_set"),
            ("sso:CreateAccountAssignment", f"{SSO}.create_account_assignment"),
            (
                "sso:DescribeAccountAssignmentCreationStatus",
                f"{SSO}.describe_assignment_creation",
            ),
            ("sso:DeleteAccountAssignment", f"{SSO}.delete_account_assignment"),
            (
                "sso:DescribeAccountAssignmentDeletionStatus",
                f"{SSO}.describe_assignment_deletion",
            ),
            ("sso:ListAccountAssignments", f"{SSO}.list_account_assignments"),
            (
                "sso:ListAccountAssignmentsForPrincipal",
                f"{SSO}.list_assignments_of_group",
            ),
            ("identitystore:GetGroupId", f"{SSO}.find_group_id"),
        ),
    ),
    Capability(
        sid="AccountSetup",
        summary="a ready account's alternate contacts, and its monthly budget (created, "
        "changed, deleted on decommission) in the management account",
        roles=frozenset({WORKER}),
        uses=_uses(
            ("account:PutAlternateContact", f"{CONTACTS}.put_alternate_contact"),
            ("budgets:ViewBudget", (f"{BUDGETS}.describe_budget", f"{BUDGETS}.list_notifications")),
            (
                "budgets:ModifyBudget",
                (
                    f"{BUDGETS}.create_budget",
                    f"{BUDGETS}.update_budget",
                    f"{BUDGETS}.delete_budget",
                    f"{BUDGETS}.create_notification",
                    f"{BUDGETS}.delete_notification",
                ),
            ),
            ("organizations:DescribeOrganization", f"{GW}.describe_organization"),
        ),
    ),
    Capability(
        sid="Cost",
        summary="read what each account spent, per month (Cost Explorer, one refresh for "
        "the organization)",
        roles=frozenset({WORKER}),
        uses=_uses(("ce:GetCostAndUsage", f"{COST}._get_cost_and_usage")),
    ),
    Capability(
        sid="PortalPages",
        summary="the web process's reads: the organization page, the blueprint plan, an "
        "account's effective policy and tags",
        roles=frozenset({WEB}),
        uses={**_ORG_READS, **_uses(("organizations:ListTagsForResource", f"{GW}.list_tags"))},
    ),
    Capability(
        sid="OrganizationBootstrap",
        summary="create the organization and enable SCPs (first set-up only)",
        roles=frozenset({BOOTSTRAP}),
        uses=_uses(
            ("organizations:CreateOrganization", f"{GW}.create_organization"),
            ("organizations:EnablePolicyType", f"{GW}.enable_policy_type"),
            ("organizations:DescribeOrganization", f"{GW}.describe_organization"),
            ("organizations:ListRoots", f"{GW}.list_roots"),
        ),
    ),
    Capability(
        sid="DemoIdentityCenter",
        summary="the demo's permission sets and IdP groups (the local emulator only)",
        roles=frozenset({DEMO}),
        uses=_uses(
            ("sso:ListInstances", f"{SSO}.list_instances"),
            ("sso:ListPermissionSets", f"{SSO}.list_permission_sets"),
            ("sso:DescribePermissionSet", f"{SSO}.describe_permission_set"),
            ("sso:CreatePermissionSet", f"{SSO}.create_permission_set"),
            ("identitystore:GetGroupId", f"{SSO}.find_group_id"),
            ("identitystore:CreateGroup", f"{SSO}.create_group"),
        ),
    ),
    Capability(
        sid="AssumeOrgRole",
        summary="assume VENDING_ORG_ROLE_ARN (the identity the processes start with)",
        roles=frozenset({CALLER}),
        uses=_uses(("sts:AssumeRole", "_new_session.refresh")),
    ),
)


def capabilities_for(role: str) -> tuple[Capability, ...]:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return tuple(c for c in CAPABILITIES if role in c.roles)


def actions_for(role: str) -> frozenset[str]:
    return frozenset(a for c in capabilities_for(role) for a in c.uses)
