"""What each kind of audit event keeps in `data`: one frozen dataclass per kind, which
knows its stored keys (vending/audit.py writes and reads them).

The keys are public (the REST API returns `data` as stored); a key missing from an
older row reads back as its field's default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any, Self

from vending.choices import AuditAction


@dataclass(frozen=True)
class _Payload:
    """A frozen dataclass kept as `data`: one key per field (its name, or its metadata
    "key"); a key an older row lacks reads back as the field's default."""

    def to_data(self) -> dict[str, Any]:
        return {_key(f): _json(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        stored = {f.name: data[_key(f)] for f in fields(cls) if _key(f) in data}
        return cls(**{name: tuple(v) if isinstance(v, list) else v for name, v in stored.items()})


def _key(f: Field[Any]) -> str:
    return str(f.metadata.get("key", f.name))


def _json(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# -- payloads: what each kind of event keeps in `data` ----------------------------------


@dataclass(frozen=True)
class TeamCreatedPayload(_Payload):
    slug: str = ""
    leads: tuple[str, ...] = ()  # usernames


@dataclass(frozen=True)
class RequestSubmittedPayload(_Payload):
    compliance_class: str = ""
    environments: tuple[str, ...] = ()
    approvals_required: int | None = None
    kind: str = "create"  # a RequestKind
    account_id: str = ""  # the AWS account a request of another kind is about


@dataclass(frozen=True)
class RequestApprovalAddedPayload(_Payload):
    approvals: int | None = None  # approvals counted with this one
    required: int | None = None


@dataclass(frozen=True)
class AccountCreateRequestedPayload(_Payload):
    create_request_id: str = ""  # AWS's `car-` id
    # The tags CreateAccount was sent with (the account carries them from its creation).
    tags: dict[str, str] = field(default_factory=dict)
    # True when the id was found, after an interrupted attempt, as a creation in progress
    # under the account's name, rather than taken from CreateAccount's answer.
    recovered: bool = False


@dataclass(frozen=True)
class AccountAdoptedPayload(_Payload):
    account_id: str = ""  # the AWS account adopted


@dataclass(frozen=True)
class AccountMovedPayload(_Payload):
    from_parent_id: str = field(default="", metadata={"key": "from"})
    to_parent_id: str = field(default="", metadata={"key": "to"})


@dataclass(frozen=True)
class AccountTaggedPayload(_Payload):
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountRetriedPayload(_Payload):
    """The failure a retry clears from the account (kept nowhere else); for a stalled
    account queued again ("retry now"), why it was stalled and its last error."""

    failure_code: str = ""
    failure_reason: str = ""
    create_request_id: str = ""
    create_attempts: int = 0
    from_status: str = ""
    stalled_reason: str = ""
    attempts: int = 0
    last_error_code: str = ""
    last_error_message: str = ""


@dataclass(frozen=True)
class AccountImportedPayload(_Payload):
    account_id: str = ""  # the AWS account
    organization_id: str = ""
    ou_path: str = ""
    compliance_class: str = ""  # of its OU; "" when the OU maps to no class


@dataclass(frozen=True)
class AccountTeamAssignedPayload(_Payload):
    team: str = ""  # the team's slug
    previous: str = ""  # the slug of the team it had, "" when none
    environment: str = ""  # the environment it is of the team's, "" when none
    previous_environment: str = ""


@dataclass(frozen=True)
class AccountClassChangedPayload(_Payload):
    previous: str = ""  # the class it had
    compliance_class: str = ""  # the class it has now
    ou_path: str = ""  # where it is now
    request_id: int | None = None  # the change_class request


@dataclass(frozen=True)
class AccountBudgetChangedPayload(_Payload):
    previous: str | None = None  # the monthly amount in USD it had (None: no budget)
    amount: str | None = None  # the amount it has now (None: removed)


@dataclass(frozen=True)
class AccountSetupDonePayload(_Payload):
    part: str = ""  # "contacts" or "budget"
    status: str = ""  # SetupStatus: done, failed or removed
    detail: str = ""  # what was set (contact types, the amount), or AWS's refusal


@dataclass(frozen=True)
class AccountSetupRetriedPayload(_Payload):
    parts: tuple[str, ...] = ()  # "contacts", "budget": those AWS had refused
    errors: tuple[str, ...] = ()  # AWS's refusals, as the account showed them


@dataclass(frozen=True)
class OrgChangedPayload(_Payload):
    change: str = field(default="", metadata={"key": "action"})  # e.g. "create_ou"
    target: str = ""
    key: str = ""
    # What was changed, by name (empty in rows written before these were kept).
    ou_path: str = ""
    policy: str = ""
    account_id: str = ""


@dataclass(frozen=True)
class DriftRepairedPayload(_Payload):
    key: str = ""  # the finding's key
    kind: str = ""  # a DriftKind
    target: str = ""
    changes: tuple[str, ...] = ()  # what was applied, in order


@dataclass(frozen=True)
class WebhookChangedPayload(_Payload):
    endpoint_id: int | None = None
    name: str = ""
    url: str = ""
    change: str = ""  # created, updated, enabled, disabled, deleted, rotated, tested
    events: tuple[str, ...] = ()  # NotificationKind values


@dataclass(frozen=True)
class RoleChangedPayload(_Payload):
    username: str = field(default="", metadata={"key": "user"})  # whose role changed
    user_id: int | None = None
    group: str = ""
    added: bool = False  # else removed
    source: str = ""  # a RoleChangeSource


@dataclass(frozen=True)
class SigninLockedOutPayload(_Payload):
    username: str = ""  # as typed at the sign-in (it may name nobody)
    ip_address: str = ""
    failures: int = 0


@dataclass(frozen=True)
class AccessChangedPayload(_Payload):
    """An Identity Center assignment made or removed on an account."""

    group: str = ""  # the IdP group's display name
    group_id: str = ""
    permission_set: str = ""
    permission_set_arn: str = ""
    request_id: str = ""  # AWS's creation or deletion request


AuditPayload = (
    TeamCreatedPayload
    | RequestSubmittedPayload
    | RequestApprovalAddedPayload
    | AccountCreateRequestedPayload
    | AccountAdoptedPayload
    | AccountMovedPayload
    | AccountTaggedPayload
    | AccountRetriedPayload
    | AccountImportedPayload
    | AccountTeamAssignedPayload
    | AccountClassChangedPayload
    | AccountBudgetChangedPayload
    | AccountSetupDonePayload
    | AccountSetupRetriedPayload
    | OrgChangedPayload
    | DriftRepairedPayload
    | RoleChangedPayload
    | SigninLockedOutPayload
    | WebhookChangedPayload
    | AccessChangedPayload
)

# Status changes keep nothing in `data`: their row's from_status/to_status say it all.
PAYLOAD_READERS: dict[str, Callable[[Mapping[str, Any]], AuditPayload]] = {
    AuditAction.TEAM_CREATED: TeamCreatedPayload.from_data,
    AuditAction.REQUEST_SUBMITTED: RequestSubmittedPayload.from_data,
    AuditAction.REQUEST_APPROVAL_ADDED: RequestApprovalAddedPayload.from_data,
    AuditAction.ACCOUNT_CREATE_REQUESTED: AccountCreateRequestedPayload.from_data,
    AuditAction.ACCOUNT_ADOPTED: AccountAdoptedPayload.from_data,
    AuditAction.ACCOUNT_MOVED: AccountMovedPayload.from_data,
    AuditAction.ACCOUNT_TAGGED: AccountTaggedPayload.from_data,
    AuditAction.ACCOUNT_RETRIED: AccountRetriedPayload.from_data,
    AuditAction.ACCOUNT_IMPORTED: AccountImportedPayload.from_data,
    AuditAction.ACCOUNT_TEAM_ASSIGNED: AccountTeamAssignedPayload.from_data,
    AuditAction.ACCOUNT_CLASS_CHANGED: AccountClassChangedPayload.from_data,
    AuditAction.ACCOUNT_BUDGET_CHANGED: AccountBudgetChangedPayload.from_data,
    AuditAction.ACCOUNT_SETUP_DONE: AccountSetupDonePayload.from_data,
    AuditAction.ACCOUNT_SETUP_RETRIED: AccountSetupRetriedPayload.from_data,
    AuditAction.ORG_CHANGED: OrgChangedPayload.from_data,
    AuditAction.DRIFT_REPAIRED: DriftRepairedPayload.from_data,
    AuditAction.ROLE_CHANGED: RoleChangedPayload.from_data,
    AuditAction.SIGNIN_LOCKED_OUT: SigninLockedOutPayload.from_data,
    AuditAction.WEBHOOK_CHANGED: WebhookChangedPayload.from_data,
    AuditAction.ACCESS_ASSIGNED: AccessChangedPayload.from_data,
    AuditAction.ACCESS_REMOVED: AccessChangedPayload.from_data,
}
