"""The portal's IAM policies hold every AWS call the gateway makes, and nothing else.

The calls are read from the gateway's source, not from a list kept by hand: an AST scan
of `vending/aws/` finds every operation name a method passes to `_call`, `_paginate` or
`get_paginator`, and every method called on a client made by `.client("<service>")`.
The scan sees every call site, including paths no test exercises, which recording what
botocore sends during the test suite would miss; botocore's own service models then
check that each name is a real operation of its service (so a typo or a wrong service
fails here). A recording of what the web pages send (below) checks the web role from the
other side.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from vending.aws.permissions import CAPABILITIES, ROLES, WEB, actions_for
from vending.compliance.iam import action_access_level, service_actions

AWS_PACKAGE = Path(__file__).resolve().parents[2] / "vending" / "aws"

# botocore's client name -> IAM service prefix, where they differ or not (explicit on
# purpose: the service authorization reference, not botocore, is the authority).
IAM_PREFIX = {
    "organizations": "organizations",
    "sts": "sts",
    "sso-admin": "sso",
    "identitystore": "identitystore",
    "ce": "ce",
    "budgets": "budgets",
    "account": "account",
}

# API operations AWS authorizes with actions of other names, or with more than one
# action (service authorization reference, "API operations" tables; Organizations API
# reference: tags on a create or invite also need TagResource).
AUTHORIZED_AS = {
    ("organizations", "CreateAccount"): {
        "organizations:CreateAccount",
        "organizations:TagResource",
    },
    ("organizations", "CreateOrganizationalUnit"): {
        "organizations:CreateOrganizationalUnit",
        "organizations:TagResource",
    },
    ("organizations", "InviteAccountToOrganization"): {
        "organizations:InviteAccountToOrganization",
        "organizations:TagResource",
    },
    ("budgets", "CreateBudget"): {"budgets:ModifyBudget"},
    ("budgets", "UpdateBudget"): {"budgets:ModifyBudget"},
    ("budgets", "DeleteBudget"): {"budgets:ModifyBudget"},
    ("budgets", "DeleteNotification"): {"budgets:ModifyBudget"},
    ("budgets", "DescribeBudget"): {"budgets:ViewBudget"},
    ("budgets", "DescribeBudgets"): {"budgets:ViewBudget"},
    ("budgets", "CreateNotification"): {"budgets:ModifyBudget"},
    ("budgets", "DescribeNotificationsForBudget"): {"budgets:ViewBudget"},
}

OPERATION_CALLS = {"_call", "_paginate", "get_paginator"}
# `self.client.get_cost_and_usage(...)`: an operation called on the class's own client.
CLIENT_ATTRIBUTES = {"client", "_client"}
READ_LEVELS = {"List", "Read"}


class _Scanner(ast.NodeVisitor):
    """Collects (qualified method, client name or class, snake_case operation)."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.clients: list[dict[str, str]] = [{}]
        self.found: list[tuple[str, str, str, str]] = []  # (qualname, class, service?, op)
        self.class_service: dict[str, str] = {}
        self.bases: dict[str, list[str]] = {}
        self.constants: dict[str, str] = {}

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
        self._nested(node.name, node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.clients.append(dict(self.clients[-1]))
        self._nested(node.name, node)
        self.clients.pop()

    def _nested(self, name: str, node: ast.AST) -> None:
        self.stack.append(name)
        self.generic_visit(node)
        self.stack.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        if not self.stack and isinstance(node.value, ast.Constant):
            # A module's constant, e.g. SSO_ADMIN = "sso-admin": a service named by it.
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    self.constants[target.id] = node.value.value
        service = _client_service(node.value)
        if service:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.clients[-1][target.id] = service
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        service = _client_service(node)
        if service and self.stack:
            self.class_service[self.stack[0]] = service
        if isinstance(func, ast.Attribute):
            first = node.args[0] if node.args else None
            qualname = ".".join(self.stack)
            second = node.args[1] if len(node.args) > 1 else None
            if func.attr in OPERATION_CALLS and isinstance(first, ast.Constant):
                self.found.append((qualname, self.stack[0], "", str(first.value)))
            elif (
                func.attr in OPERATION_CALLS
                and isinstance(first, ast.Name)
                and first.id in self.constants
                and isinstance(second, ast.Constant)
            ):
                # `self._call(SSO_ADMIN, "list_instances")`: a gateway of several clients.
                self.found.append((qualname, "", self.constants[first.id], str(second.value)))
            elif isinstance(func.value, ast.Name) and func.value.id in self.clients[-1]:
                self.found.append((qualname, "", self.clients[-1][func.value.id], func.attr))
            elif (
                isinstance(func.value, ast.Attribute)
                and func.value.attr in CLIENT_ATTRIBUTES
                and func.attr not in OPERATION_CALLS
            ):
                self.found.append((qualname, self.stack[0], "", func.attr))
        self.generic_visit(node)


def _client_service(node: ast.AST) -> str:
    """ "sts" for `<anything>.client("sts", ...)`, "" for any other expression."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return ""


def scanned_calls() -> dict[tuple[str, str], set[str]]:
    """(botocore service, API operation) -> the gateway methods that call it."""
    scanner = _Scanner()
    for path in sorted(AWS_PACKAGE.glob("*.py")):
        if path.name != "permissions.py":
            scanner.visit(ast.parse(path.read_text(), filename=str(path)))
    # A mixin's `_call` is its subclass's: the class that builds the client lends its
    # service to the bases it inherits calls from.
    services = dict(scanner.class_service)
    for cls, service in scanner.class_service.items():
        for base in scanner.bases.get(cls, []):
            services.setdefault(base, service)
    calls: dict[tuple[str, str], set[str]] = defaultdict(set)
    session = botocore.session.get_session()
    for qualname, cls, service, op in scanner.found:
        service = service or services.get(cls, "")
        assert service, f"{qualname} calls {op} on a client whose service the scan cannot tell"
        operations = {
            xform_name(name): name for name in session.get_service_model(service).operation_names
        }
        assert op in operations, f"{qualname}: {op} is not an operation of {service}"
        calls[(service, operations[op])].add(qualname)
    return calls


def expected_uses() -> dict[str, set[str]]:
    """IAM action -> the gateway methods that need it, derived from the source."""
    uses: dict[str, set[str]] = defaultdict(set)
    for (service, operation), methods in scanned_calls().items():
        actions = AUTHORIZED_AS.get((service, operation), {f"{IAM_PREFIX[service]}:{operation}"})
        for action in actions:
            uses[action] |= methods
    return uses


def declared_uses() -> dict[str, set[str]]:
    uses: dict[str, set[str]] = defaultdict(set)
    for capability in CAPABILITIES:
        for action, methods in capability.uses.items():
            uses[action] |= set(methods)
    return uses


def test_the_scan_finds_the_gateway_calls():
    """The scan itself can fail: it sees the calls everyone knows are there."""
    calls = scanned_calls()
    assert calls[("organizations", "CreateAccount")] == {"OrganizationsGateway.create_account"}
    assert calls[("organizations", "ListAccounts")] == {"OrganizationsGateway.list_accounts"}
    assert calls[("organizations", "CloseAccount")] == {"AccountLifecycleCalls.close_account"}
    assert calls[("sts", "AssumeRole")] == {"_new_session.refresh"}


def test_no_operation_name_escapes_the_scan():
    """A call made some other way (a helper of another name, `getattr(client, name)`)
    would be missed by the scan: every string in vending/aws/ that names an operation of a
    service the package makes a client for must be one the scan found."""
    scanner = _Scanner()
    literals: set[str] = set()
    for path in sorted(AWS_PACKAGE.glob("*.py")):
        if path.name != "permissions.py":
            tree = ast.parse(path.read_text())
            scanner.visit(tree)
            literals |= {
                n.value
                for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            }
    found = {xform_name(operation) for _service, operation in scanned_calls()}
    session = botocore.session.get_session()
    services = set(scanner.class_service.values()) | {s for *_, s, _op in scanner.found if s}
    # A service named by a module constant, whatever builds its client.
    services |= set(scanner.constants.values()) & set(session.get_available_services())
    for service in services:
        operations = {
            xform_name(name) for name in session.get_service_model(service).operation_names
        }
        assert literals & operations <= found, (service, sorted((literals & operations) - found))


def test_every_gateway_call_is_in_the_table_with_the_methods_that_make_it():
    assert declared_uses() == expected_uses()


def test_the_policies_of_all_roles_hold_exactly_the_gateway_calls():
    rendered = set().union(*(actions_for(role) for role in ROLES))
    assert rendered == set(expected_uses())


def test_every_action_exists_in_the_pinned_iam_data():
    for action in declared_uses():
        prefix = action.split(":")[0]
        assert action in service_actions(prefix), f"{action} is not an IAM action"


def test_the_web_role_only_reads():
    writes = {a: action_access_level(a) for a in actions_for(WEB)}
    assert {a: level for a, level in writes.items() if level not in READ_LEVELS} == {}


@pytest.mark.parametrize("operation", ["CreateBudget", "DescribeBudgets"])
def test_budget_operations_map_to_their_authorization_actions(operation):
    """CreateBudget is not an IAM action: AWS checks ModifyBudget / ViewBudget."""
    actions = AUTHORIZED_AS[("budgets", operation)]
    assert actions <= set(service_actions("budgets"))
    assert f"budgets:{operation}" not in service_actions("budgets")
