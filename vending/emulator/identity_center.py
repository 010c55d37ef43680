"""IAM Identity Center's account assignments, asynchronous as in AWS.

moto (5.2) answers CreateAccountAssignment and DeleteAccountAssignment SUCCEEDED at once,
lists a repeated assignment twice, and forgets a creation's status once the assignment is
deleted. AWS answers IN_PROGRESS with a request id; Describe...Status reports it until AWS
is done (SUCCEEDED, or FAILED with a FailureReason); an assignment that exists already is
not made twice. This module answers those four calls so, and keeps the assignments
themselves in moto's sso-admin backend, so moto's ListAccountAssignments (and the rest of
sso-admin and identitystore: instances, permission sets, groups) show them.

What the emulator checks, and how it answers:

* at once (an error, as AWS's API reference lists them): an instance or permission set
  that does not exist is ResourceNotFoundException; a TargetType other than AWS_ACCOUNT
  or a PrincipalType other than USER or GROUP is ValidationException; deleting an
  assignment that does not exist is ResourceNotFoundException (moto's answer);
* after ``assignment_delay_seconds`` on the emulator's clock (the request FAILED with a
  reason): a group or user the instance's identity store does not hold, an account that
  is not in the caller's organization.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.identitystore.models import identitystore_backends
from moto.organizations.models import organizations_backends
from moto.ssoadmin.models import AccountAssignment, SSOAdminBackend, ssoadmin_backends

from .config import EmulatorConfig
from .protocol import Caller, OrganizationsError

TARGET_PREFIX = "SWBExternalService."
CREATE = "CreateAccountAssignment"
DELETE = "DeleteAccountAssignment"
DESCRIBE = {
    "DescribeAccountAssignmentCreationStatus": ("create", "AccountAssignmentCreationRequestId"),
    "DescribeAccountAssignmentDeletionStatus": ("delete", "AccountAssignmentDeletionRequestId"),
}
ANSWERED = frozenset({CREATE, DELETE, *DESCRIBE})
_STATUS_KEY = {
    "create": "AccountAssignmentCreationStatus",
    "delete": "AccountAssignmentDeletionStatus",
}


@dataclass
class AssignmentRequest:
    request_id: str
    kind: str  # "create" or "delete"
    account_id: str  # the caller's (moto's backends are per account and region)
    partition: str
    region: str
    instance_arn: str
    target_id: str
    permission_set_arn: str
    principal_type: str
    principal_id: str
    created: float
    due: float
    status: str = "IN_PROGRESS"
    failure_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "Status": self.status,
            "RequestId": self.request_id,
            "TargetId": self.target_id,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": self.permission_set_arn,
            "PrincipalType": self.principal_type,
            "PrincipalId": self.principal_id,
            "CreatedDate": self.created,
        }
        if self.failure_reason:
            answer["FailureReason"] = self.failure_reason
        return answer


@dataclass
class AccountAssignments:
    requests: dict[str, AssignmentRequest] = field(default_factory=dict)

    def answer(
        self, operation: str, caller: Caller, region: str, payload: dict[str, Any],
        config: EmulatorConfig, now: float,
    ) -> dict[str, Any]:  # fmt: skip
        if operation in DESCRIBE:
            kind, key = DESCRIBE[operation]
            found = self.requests.get(str(payload.get(key, "")))
            if found is None or found.kind != kind or found.account_id != caller.account_id:
                raise _error("ResourceNotFoundException", "Request not found.")
            return {_STATUS_KEY[kind]: found.to_json()}
        kind = "create" if operation == CREATE else "delete"
        request = self._request(
            kind, caller, region, payload, now + config.assignment_delay_seconds, now
        )
        self.requests[request.request_id] = request
        if request.due <= now:
            self._complete(request)
        return {_STATUS_KEY[kind]: request.to_json()}

    def complete_due(self, now: float) -> bool:
        due = [r for r in self.requests.values() if r.status == "IN_PROGRESS" and r.due <= now]
        for request in sorted(due, key=lambda r: r.due):
            self._complete(request)
        return bool(due)

    def _request(
        self,
        kind: str,
        caller: Caller,
        region: str,
        payload: dict[str, Any],
        due: float,
        now: float,
    ) -> AssignmentRequest:
        backend = ssoadmin_backends[caller.account_id][region]
        instance_arn = str(payload.get("InstanceArn", ""))
        if not any(i.instance_arn == instance_arn for i in backend.instances):
            raise _error("ResourceNotFoundException", f"Instance {instance_arn} does not exist.")
        if payload.get("TargetType") != "AWS_ACCOUNT":
            raise _error("ValidationException", "TargetType must be AWS_ACCOUNT.")
        if payload.get("PrincipalType") not in ("USER", "GROUP"):
            raise _error("ValidationException", "PrincipalType must be USER or GROUP.")
        permission_set_arn = str(payload.get("PermissionSetArn", ""))
        if not any(
            (p.instance_arn, p.permission_set_arn) == (instance_arn, permission_set_arn)
            for p in backend.permission_sets
        ):
            ps_id = permission_set_arn.rsplit("/", 1)[-1]
            raise _error(
                "ResourceNotFoundException", f"Could not find PermissionSet with id {ps_id}"
            )
        request = AssignmentRequest(
            request_id=str(uuid.uuid4()),
            kind=kind,
            account_id=caller.account_id,
            partition=caller.partition,
            region=region,
            instance_arn=instance_arn,
            target_id=str(payload.get("TargetId", "")),
            permission_set_arn=permission_set_arn,
            principal_type=str(payload["PrincipalType"]),
            principal_id=str(payload.get("PrincipalId", "")),
            created=now,
            due=due,
        )
        if kind == "delete" and _existing(backend, request) is None:
            raise _error("ResourceNotFoundException", "The account assignment does not exist.")
        return request

    def _complete(self, request: AssignmentRequest) -> None:
        backend = ssoadmin_backends[request.account_id][request.region]
        existing = _existing(backend, request)
        if request.kind == "delete":
            if existing is not None:
                backend.account_assignments.remove(existing)
            request.status = "SUCCEEDED"
            return
        refusal = _refusal(backend, request)
        if refusal:
            request.status, request.failure_reason = "FAILED", refusal
            return
        if existing is None:
            backend.account_assignments.append(
                AccountAssignment(
                    request.instance_arn,
                    request.target_id,
                    "AWS_ACCOUNT",
                    request.permission_set_arn,
                    request.principal_type,
                    request.principal_id,
                )
            )
        request.status = "SUCCEEDED"


def _existing(backend: SSOAdminBackend, request: AssignmentRequest) -> AccountAssignment | None:
    return next(
        (
            a
            for a in backend.account_assignments
            if (a.instance_arn, a.target_id, a.permission_set_arn, a.principal_type, a.principal_id)
            == (
                request.instance_arn,
                request.target_id,
                request.permission_set_arn,
                request.principal_type,
                request.principal_id,
            )
        ),
        None,
    )


def _refusal(backend: SSOAdminBackend, request: AssignmentRequest) -> str:
    """Why AWS would fail this creation once it carries it out ("" when it would not)."""
    instance = next(i for i in backend.instances if i.instance_arn == request.instance_arn)
    store = identitystore_backends[request.account_id][request.region].identity_stores.get(
        instance.identity_store_id
    )
    principals = (
        (store.groups if request.principal_type == "GROUP" else store.users) if store else {}
    )
    if request.principal_id not in principals:
        return (
            f"The {request.principal_type.lower()} {request.principal_id} does not exist in "
            f"identity store {instance.identity_store_id}."
        )
    organization = organizations_backends[request.account_id][request.partition]
    members = {a.id for a in organization.accounts}
    if organization.org is not None:
        members.add(organization.org.master_account_id)
    if request.target_id not in members:
        return f"Account {request.target_id} is not a member of the organization."
    return ""


def _error(code: str, message: str) -> OrganizationsError:
    return OrganizationsError(code, message)
