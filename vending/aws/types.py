"""Plain results of Organizations calls, so callers never see boto3's dictionaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class CreateAccountState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class HandshakeState(StrEnum):
    REQUESTED = "REQUESTED"
    OPEN = "OPEN"
    CANCELED = "CANCELED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"


class ParentType(StrEnum):
    ROOT = "ROOT"
    ORGANIZATIONAL_UNIT = "ORGANIZATIONAL_UNIT"


@dataclass(frozen=True)
class Organization:
    id: str
    arn: str
    feature_set: str
    management_account_id: str
    management_account_email: str


@dataclass(frozen=True)
class Root:
    id: str
    arn: str
    name: str
    enabled_policy_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganizationalUnit:
    id: str
    arn: str
    name: str


@dataclass(frozen=True)
class Parent:
    id: str
    type: ParentType


@dataclass(frozen=True)
class Account:
    id: str
    arn: str
    name: str
    email: str
    status: str
    joined_method: str = ""
    joined_at: datetime | None = None
    # The newer lifecycle field (ACTIVE, PENDING_CLOSURE, SUSPENDED, CLOSED, ...); AWS
    # retires `status` on 2026-09-09. Empty when the endpoint does not send it.
    state: str = ""


@dataclass(frozen=True)
class CreateAccountStatus:
    request_id: str
    state: CreateAccountState
    account_name: str = ""
    account_id: str | None = None
    failure_reason: str | None = None
    requested_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Handshake:
    """An invitation to join the organization (InviteAccountToOrganization)."""

    id: str
    arn: str
    state: HandshakeState
    action: str
    organization_id: str
    # The invited party: an account id (`target_type` ACCOUNT) or an e-mail (EMAIL).
    target: str
    target_type: str
    requested_at: datetime | None = None
    expires_at: datetime | None = None
    notes: str = ""


@dataclass(frozen=True)
class PolicySummary:
    id: str
    arn: str
    name: str
    description: str
    type: str
    aws_managed: bool


@dataclass(frozen=True)
class Policy:
    summary: PolicySummary
    content: str


@dataclass(frozen=True)
class PolicyTarget:
    target_id: str
    arn: str
    name: str
    type: str


@dataclass(frozen=True)
class Tagged:
    resource_id: str
    tags: dict[str, str] = field(default_factory=dict)
