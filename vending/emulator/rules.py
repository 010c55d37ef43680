"""Organizations rules that moto 5.2 does not enforce (measured; see DESIGN.md section 8).

Each check reads moto's in-process state and either raises the error AWS documents, or
returns ``None`` to let moto perform the call, or returns the answer itself where moto's
own behaviour is wrong (UpdateOrganizationalUnit). When the input names something that
does not exist, the check mostly returns ``None`` and lets moto answer its not-found
error; it answers itself where moto's code is not the one AWS documents for the call.

Error codes and reasons come from the Organizations API reference
(https://docs.aws.amazon.com/organizations/latest/APIReference/), as modeled in
botocore's ``organizations/2016-11-28/service-2.json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from moto.organizations.models import (
    FakeAccount,
    FakeOrganizationalUnit,
    FakePolicy,
    FakeRoot,
    OrganizationsBackend,
)

from .config import EmulatorConfig
from .protocol import OrganizationsError, constraint_violation, invalid_input

SCP = "SERVICE_CONTROL_POLICY"
# PolicyTargetId and OrganizationalUnitId patterns (API reference).
TARGET_ID = re.compile(r"r-[0-9a-z]{4,32}|\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")

Rule = Callable[[OrganizationsBackend, dict[str, Any], EmulatorConfig], dict[str, Any] | None]


def create_organizational_unit(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    parent = _container(backend, payload.get("ParentId"))
    if parent is None:
        # moto would create an OU under a parent that does not exist.
        raise OrganizationsError(
            "ParentNotFoundException", "You specified parent that doesn't exist."
        )
    if _depth(backend, parent) + 1 > config.ou_max_depth:
        raise constraint_violation(
            "OU_DEPTH_LIMIT_EXCEEDED",
            f"You can't nest OUs more than {config.ou_max_depth} levels below the root.",
        )
    _reject_sibling_name(backend, parent.id, payload.get("Name"), renamed=None)
    return None


def update_organizational_unit(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    # Answered here rather than by moto: moto rejects a name used by *any* OU in the
    # organization (and even the OU's own name), while AWS only forbids sibling names.
    ou = _container(backend, payload.get("OrganizationalUnitId"))
    if ou is None or isinstance(ou, FakeRoot):
        return None
    name = payload.get("Name")
    if name is not None:
        _reject_sibling_name(backend, ou.parent_id, name, renamed=ou)
        ou.name = name
    return ou.describe()


def delete_organizational_unit(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    # moto deletes an OU that still holds accounts or OUs (orphaning them) and leaves its
    # policies pointing at it; AWS refuses a non-empty OU.
    ou_id = payload.get("OrganizationalUnitId")
    if isinstance(ou_id, str) and not OU_ID.fullmatch(ou_id):
        raise invalid_input(
            "INVALID_PATTERN", "You provided a value that does not match the required pattern."
        )
    ou = _container(backend, ou_id)
    if ou is None or isinstance(ou, FakeRoot):
        return None  # moto answers OrganizationalUnitNotFoundException
    if any(a.parent_id == ou.id for a in backend.accounts) or any(
        child.parent_id == ou.id for child in backend.ou
    ):
        raise OrganizationsError(
            "OrganizationalUnitNotEmptyException",
            "The specified OU is not empty. Move all accounts to another root or to other "
            "OUs, remove all child OUs, and try the operation again.",
        )
    for policy in ou.attached_policies:
        policy.attachments.remove(ou)
    backend.ou.remove(ou)
    return {}


def create_policy(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    if payload.get("Type") == SCP:
        _check_scp_size(payload.get("Content"), config)
    _check_policy_document(payload.get("Content"))
    return None


def update_policy(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    policy = _policy(backend, payload.get("PolicyId"))
    if policy is not None and policy.type == SCP:
        _check_scp_size(payload.get("Content"), config)
    if "Content" in payload:
        _check_policy_document(payload["Content"])
    return None


def attach_policy(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    _check_target_id(payload.get("TargetId"))
    policy = _policy(backend, payload.get("PolicyId"))
    if policy is None:
        return None
    target = _target(backend, payload.get("TargetId"))
    if not _policy_type_enabled(backend, policy.type):
        raise OrganizationsError(
            "PolicyTypeNotEnabledException",
            "This operation can be performed only for enabled policy types.",
        )
    if policy in target.attached_policies:
        raise OrganizationsError(
            "DuplicatePolicyAttachmentException",
            "The selected policy is already attached to the specified target.",
        )
    if policy.type == SCP and _scp_count(target) >= config.scp_max_per_target:
        # AWS documents POLICY_NUMBER_LIMIT_EXCEEDED as the per-organization policy
        # count; the per-target limit is MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED ("the
        # number of policies of a certain type that can be attached to an entity at one
        # time"). The message is AWS's (hashicorp/terraform-provider-aws#41493).
        raise constraint_violation(
            "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            "You have attached the maximum number of policies to the specified target.",
        )
    return None


def detach_policy(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    _check_target_id(payload.get("TargetId"))
    policy = _policy(backend, payload.get("PolicyId"))
    if policy is None:
        return None
    target = _target(backend, payload.get("TargetId"))
    if policy not in target.attached_policies:
        # moto silently succeeds; AWS answers PolicyNotAttachedException.
        raise OrganizationsError(
            "PolicyNotAttachedException",
            "The policy isn't attached to the specified target in the specified root.",
        )
    if policy.type == SCP and _scp_count(target) <= 1:
        # DetachPolicy docs: "Every root, OU, and account must have at least one SCP
        # attached" - attach the replacement first.
        raise constraint_violation(
            "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
            "You can't detach the last SCP from a root, OU or account.",
        )
    return None


def move_account(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    account = _account(backend, payload.get("AccountId"))
    if account is None:
        return None
    source_id, destination_id = payload.get("SourceParentId"), payload.get("DestinationParentId")
    # AWS documents SourceParentNotFoundException ("We can't find a source root or OU
    # with the ParentId that you specified") and no separate code for "the account is
    # not in that parent"; moto ignores a wrong source and moves the account anyway.
    if _container(backend, source_id) is None or account.parent_id != source_id:
        raise OrganizationsError(
            "SourceParentNotFoundException",
            "We can't find a source root or OU with the ParentId that you specified.",
        )
    if _container(backend, destination_id) is None:
        # moto answers ParentNotFoundException, which MoveAccount does not model.
        raise OrganizationsError(
            "DestinationParentNotFoundException",
            "We can't find the destination container (a root or OU) with the ParentId "
            "that you specified.",
        )
    if destination_id == account.parent_id:
        raise OrganizationsError(
            "DuplicateAccountException",
            "That account is already present in the specified destination.",
        )
    return None


def list_policies_for_target(
    backend: OrganizationsBackend, payload: dict[str, Any], config: EmulatorConfig
) -> dict[str, Any] | None:
    _check_target_id(payload.get("TargetId"))
    return None


RULES: dict[str, Rule] = {
    "CreateOrganizationalUnit": create_organizational_unit,
    "DeleteOrganizationalUnit": delete_organizational_unit,
    "ListPoliciesForTarget": list_policies_for_target,
    "UpdateOrganizationalUnit": update_organizational_unit,
    "CreatePolicy": create_policy,
    "UpdatePolicy": update_policy,
    "AttachPolicy": attach_policy,
    "DetachPolicy": detach_policy,
    "MoveAccount": move_account,
}


def _check_target_id(target_id: object) -> None:
    # moto answers TargetNotFoundException (or InvalidInputException without a reason)
    # for an id that cannot name any target.
    if isinstance(target_id, str) and not TARGET_ID.fullmatch(target_id):
        raise invalid_input(
            "INVALID_PATTERN_TARGET_ID",
            "You specified a policy target ID that doesn't match the required pattern.",
        )


def _check_policy_document(content: object) -> None:
    # moto stores any text as a policy; AWS parses it.
    try:
        document = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise OrganizationsError(
            "MalformedPolicyDocumentException",
            "The provided policy document doesn't meet the requirements of the specified "
            "policy type: it is not a JSON object.",
        )


def _check_scp_size(content: object, config: EmulatorConfig) -> None:
    # The quota counts characters as sent, whitespace included.
    if isinstance(content, str) and len(content) > config.scp_max_size:
        raise constraint_violation(
            "POLICY_CONTENT_LIMIT_EXCEEDED",
            f"An SCP document can be at most {config.scp_max_size} characters.",
        )


def _reject_sibling_name(
    backend: OrganizationsBackend,
    parent_id: str | None,
    name: object,
    renamed: FakeOrganizationalUnit | None,
) -> None:
    for ou in backend.ou:
        if ou.parent_id == parent_id and ou.name == name and ou is not renamed:
            raise OrganizationsError(
                "DuplicateOrganizationalUnitException",
                "An OU with the same name already exists.",
            )


def _depth(backend: OrganizationsBackend, container: FakeOrganizationalUnit) -> int:
    """Levels below the root: 0 for the root, 1 for its child OUs, and so on."""
    depth = 0
    while not isinstance(container, FakeRoot):
        parent = _container(backend, container.parent_id)
        if parent is None:
            break
        container, depth = parent, depth + 1
    return depth


def _container(backend: OrganizationsBackend, node_id: object) -> FakeOrganizationalUnit | None:
    """The root or OU with this id (moto keeps the root in the same list as OUs)."""
    return next((ou for ou in backend.ou if ou.id == node_id), None)


def _account(backend: OrganizationsBackend, account_id: object) -> FakeAccount | None:
    return next((a for a in backend.accounts if a.id == account_id), None)


def _target(
    backend: OrganizationsBackend, target_id: object
) -> FakeOrganizationalUnit | FakeAccount:
    target = _container(backend, target_id) or _account(backend, target_id)
    if target is None:
        # moto answers OrganizationalUnitNotFoundException, which these calls don't model.
        raise OrganizationsError(
            "TargetNotFoundException", "You specified a target that doesn't exist."
        )
    return target


def _policy(backend: OrganizationsBackend, policy_id: object) -> FakePolicy | None:
    return next((p for p in backend.policies if p.id == policy_id), None)


def _policy_type_enabled(backend: OrganizationsBackend, policy_type: str) -> bool:
    # moto attaches policies of types never enabled with EnablePolicyType; AWS refuses.
    roots = [ou for ou in backend.ou if isinstance(ou, FakeRoot)]
    return any(entry["Type"] == policy_type for root in roots for entry in root.policy_types)


def _scp_count(target: FakeOrganizationalUnit | FakeAccount) -> int:
    return sum(1 for policy in target.attached_policies if policy.type == SCP)
