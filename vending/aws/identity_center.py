"""IdentityCenterGateway: typed methods over IAM Identity Center (sso-admin) and its
identity store (identitystore), for access to vended accounts.

Like `OrganizationsGateway`: one client per thread and service on the same session
(assumed role included), pagination hidden inside, botocore's standard retries, every
call counted for the metrics (`call_metrics`), and every failure leaving as
`TransientAwsError` or `PermanentAwsError`. Identity Center answers ConflictException when
a write has not propagated yet; AWS's advice is to retry, so it counts as transient here.

CreateAccountAssignment and DeleteAccountAssignment are asynchronous: they answer a
request id and IN_PROGRESS; Describe...Status says when AWS is done (SUCCEEDED) or why
it failed (FAILED, FailureReason). Asking for an assignment that already exists does not
make a second one, so botocore may repeat these calls after a lost answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from vending.aws.call_metrics import instrument_client
from vending.aws.errors import AwsError, api_name, mapped_errors
from vending.aws.session import GatewayConfig, build_session, gateway_config

SSO_ADMIN = "sso-admin"
IDENTITY_STORE = "identitystore"
# "Try again": a write not yet propagated (sso-admin's own advice).
TRANSIENT = frozenset({"ConflictException"})
GROUP = "GROUP"
ACCOUNT = "AWS_ACCOUNT"


class AssignmentState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class IdentityCenterInstance:
    instance_arn: str
    identity_store_id: str
    status: str = ""
    name: str = ""


@dataclass(frozen=True)
class PermissionSet:
    arn: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class AssignmentStatus:
    """The answer of Create/DeleteAccountAssignment and of their Describe...Status."""

    request_id: str
    state: AssignmentState
    account_id: str = ""
    permission_set_arn: str = ""
    principal_id: str = ""
    failure_reason: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class AccountAssignment:
    account_id: str
    permission_set_arn: str
    principal_type: str
    principal_id: str


class IdentityCenterGateway:
    def __init__(self, config: GatewayConfig | None = None) -> None:
        self.config = config or GatewayConfig()
        self._local = threading.local()

    # -- plumbing -----------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        client = getattr(self._local, service.replace("-", "_"), None)
        if client is None:
            session = build_session(self.config)  # this thread's, kept by build_session
            config = self.config.botocore_config(session)
            client = session.client(service, config=config)  # type: ignore[call-overload]
            instrument_client(client, transient=TRANSIENT)
            setattr(self._local, service.replace("-", "_"), client)
        return client

    def warm(self) -> None:
        """Build this thread's clients now (see `OrganizationsGateway.warm`)."""
        self._client(SSO_ADMIN)
        self._client(IDENTITY_STORE)

    def _call(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        with mapped_errors(api_name(operation), transient=TRANSIENT):
            result: dict[str, Any] = getattr(self._client(service), operation)(**kwargs)
        return result

    def _paginate(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
        with mapped_errors(api_name(operation), transient=TRANSIENT):
            for page in self._client(service).get_paginator(operation).paginate(**kwargs):
                yield from page.get(key, [])

    # -- instance, groups, permission sets ------------------------------------------------

    def list_instances(self) -> list[IdentityCenterInstance]:
        return [
            IdentityCenterInstance(
                instance_arn=i["InstanceArn"],
                identity_store_id=i["IdentityStoreId"],
                status=i.get("Status") or "",
                name=i.get("Name") or "",
            )
            for i in self._paginate(SSO_ADMIN, "list_instances", "Instances")
        ]

    def find_group_id(self, *, identity_store_id: str, display_name: str) -> str | None:
        """The id of the identity store's group with this display name, or None."""
        try:
            answer = self._call(
                IDENTITY_STORE,
                "get_group_id",
                IdentityStoreId=identity_store_id,
                AlternateIdentifier={
                    "UniqueAttribute": {
                        "AttributePath": "displayName",
                        "AttributeValue": display_name,
                    }
                },
            )
        except AwsError as exc:
            if exc.code == "ResourceNotFoundException":
                return None
            raise
        return str(answer["GroupId"])

    def list_permission_sets(self, *, instance_arn: str) -> list[PermissionSet]:
        """Every permission set of the instance, with its name (one DescribePermissionSet
        each: ListPermissionSets names only ARNs)."""
        return [
            self.describe_permission_set(instance_arn=instance_arn, permission_set_arn=str(arn))
            for arn in self._paginate(
                SSO_ADMIN, "list_permission_sets", "PermissionSets", InstanceArn=instance_arn
            )
        ]

    def describe_permission_set(
        self, *, instance_arn: str, permission_set_arn: str
    ) -> PermissionSet:
        p = self._call(
            SSO_ADMIN,
            "describe_permission_set",
            InstanceArn=instance_arn,
            PermissionSetArn=permission_set_arn,
        )["PermissionSet"]
        return PermissionSet(
            arn=p["PermissionSetArn"], name=p["Name"], description=p.get("Description") or ""
        )

    # -- account assignments --------------------------------------------------------------

    def create_account_assignment(
        self, *, instance_arn: str, account_id: str, permission_set_arn: str, group_id: str
    ) -> AssignmentStatus:
        answer = self._call(
            SSO_ADMIN,
            "create_account_assignment",
            **_assignment(instance_arn, account_id, permission_set_arn, group_id),
        )
        return _status(answer["AccountAssignmentCreationStatus"])

    def describe_assignment_creation(
        self, *, instance_arn: str, request_id: str
    ) -> AssignmentStatus:
        answer = self._call(
            SSO_ADMIN,
            "describe_account_assignment_creation_status",
            InstanceArn=instance_arn,
            AccountAssignmentCreationRequestId=request_id,
        )
        return _status(answer["AccountAssignmentCreationStatus"])

    def delete_account_assignment(
        self, *, instance_arn: str, account_id: str, permission_set_arn: str, group_id: str
    ) -> AssignmentStatus:
        answer = self._call(
            SSO_ADMIN,
            "delete_account_assignment",
            **_assignment(instance_arn, account_id, permission_set_arn, group_id),
        )
        return _status(answer["AccountAssignmentDeletionStatus"])

    def describe_assignment_deletion(
        self, *, instance_arn: str, request_id: str
    ) -> AssignmentStatus:
        answer = self._call(
            SSO_ADMIN,
            "describe_account_assignment_deletion_status",
            InstanceArn=instance_arn,
            AccountAssignmentDeletionRequestId=request_id,
        )
        return _status(answer["AccountAssignmentDeletionStatus"])

    def list_account_assignments(
        self, *, instance_arn: str, account_id: str, permission_set_arn: str
    ) -> list[AccountAssignment]:
        return [
            _listed(a)
            for a in self._paginate(
                SSO_ADMIN,
                "list_account_assignments",
                "AccountAssignments",
                InstanceArn=instance_arn,
                AccountId=account_id,
                PermissionSetArn=permission_set_arn,
            )
        ]

    def list_assignments_of_group(
        self, *, instance_arn: str, group_id: str
    ) -> list[AccountAssignment]:
        """Every account assignment of the group, all accounts and permission sets."""
        return [
            _listed(a)
            for a in self._paginate(
                SSO_ADMIN,
                "list_account_assignments_for_principal",
                "AccountAssignments",
                InstanceArn=instance_arn,
                PrincipalId=group_id,
                PrincipalType="GROUP",
            )
        ]

    # -- set-up (the demo organization, tests) --------------------------------------------

    def create_permission_set(
        self, *, instance_arn: str, name: str, description: str = ""
    ) -> PermissionSet:
        kwargs: dict[str, Any] = {"InstanceArn": instance_arn, "Name": name}
        if description:
            kwargs["Description"] = description
        p = self._call(SSO_ADMIN, "create_permission_set", **kwargs)["PermissionSet"]
        return PermissionSet(arn=p["PermissionSetArn"], name=p["Name"], description=description)

    def create_group(self, *, identity_store_id: str, display_name: str) -> str:
        answer = self._call(
            IDENTITY_STORE,
            "create_group",
            IdentityStoreId=identity_store_id,
            DisplayName=display_name,
        )
        return str(answer["GroupId"])


def _assignment(
    instance_arn: str, account_id: str, permission_set_arn: str, group_id: str
) -> dict[str, str]:
    return {
        "InstanceArn": instance_arn,
        "TargetId": account_id,
        "TargetType": ACCOUNT,
        "PermissionSetArn": permission_set_arn,
        "PrincipalType": GROUP,
        "PrincipalId": group_id,
    }


def _listed(a: dict[str, Any]) -> AccountAssignment:
    return AccountAssignment(
        account_id=a["AccountId"],
        permission_set_arn=a["PermissionSetArn"],
        principal_type=a["PrincipalType"],
        principal_id=a["PrincipalId"],
    )


def _status(s: dict[str, Any]) -> AssignmentStatus:
    created = s.get("CreatedDate")
    return AssignmentStatus(
        request_id=s["RequestId"],
        state=AssignmentState(s["Status"]),
        account_id=s.get("TargetId") or "",
        permission_set_arn=s.get("PermissionSetArn") or "",
        principal_id=s.get("PrincipalId") or "",
        failure_reason=s.get("FailureReason") or "",
        created_at=created if isinstance(created, datetime) else None,
    )


@cache
def get_identity_center() -> IdentityCenterGateway:
    """The process-wide Identity Center gateway, configured from Django settings."""
    from django.conf import settings

    config = gateway_config()
    return IdentityCenterGateway(
        replace(config, region=settings.VENDING_SSO_REGION or config.region)
    )
