"""Reading the audit trail: an event's typed payload, its summary in a few words, and
what it is about (the writers are in vending/audit.py)."""

from __future__ import annotations

from collections.abc import Mapping

from vending.audit_payloads import (
    PAYLOAD_READERS,
    AccountCreateRequestedPayload,
    AuditPayload,
    DriftRepairedPayload,
    OrgChangedPayload,
    RequestApprovalAddedPayload,
    RequestSubmittedPayload,
    RoleChangedPayload,
    SigninLockedOutPayload,
)
from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.models import AuditEvent


def audit_event_payload(event: AuditEvent) -> AuditPayload | None:
    """What `event` keeps in `data`, typed; None for status changes (nothing kept)."""
    reader = PAYLOAD_READERS.get(event.action)
    if reader is None:
        return None
    return reader(event.data if isinstance(event.data, Mapping) else {})


def _status_label(choices: type[RequestStatus] | type[AccountStatus], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or "none"


def audit_event_summary(event: AuditEvent) -> str:
    """The event in a few words, as the request timeline shows it."""
    account = event.account.name if event.account is not None else ""
    if event.action == AuditAction.REQUEST_STATUS_CHANGED:
        return (
            f"Request: {_status_label(RequestStatus, event.from_status)} "
            f"\u2192 {_status_label(RequestStatus, event.to_status)}"
        )
    if event.action == AuditAction.ACCOUNT_STATUS_CHANGED:
        return (
            f"{account}: {_status_label(AccountStatus, event.from_status)} "
            f"\u2192 {_status_label(AccountStatus, event.to_status)}"
        )
    match audit_event_payload(event):
        case RequestSubmittedPayload(approvals_required=int() as needed) if needed:
            return f"Submitted the request (needs {needed} approval{'' if needed == 1 else 's'})"
        case RequestSubmittedPayload():
            return "Submitted the request"
        case RequestApprovalAddedPayload(approvals=int() as given, required=int() as required):
            return f"Approved ({given} of {required})"
        case RequestApprovalAddedPayload():
            return "Approved"
        case AccountCreateRequestedPayload(create_request_id=car, recovered=True):
            return f"{account}: creation found in progress" + (f" ({car})" if car else "")
        case AccountCreateRequestedPayload(create_request_id=car):
            return f"{account}: CreateAccount requested" + (f" ({car})" if car else "")
        case RoleChangedPayload(username=username, group=group, added=added) if username and group:
            return f"Added {username} to {group}" if added else f"Removed {username} from {group}"
    label = str(event.get_action_display())
    return f"{account}: {label}" if account else label


def audit_event_target(event: AuditEvent) -> str:
    """What the event is about, by name: the account, the OU path and SCP changed, the
    drift finding's target, the person whose role changed ("" when the row's team and
    request say it all)."""
    if event.account is not None:
        return f"account {event.account.name}" + (
            f" ({event.account.account_id})" if event.account.account_id else ""
        )
    match audit_event_payload(event):
        case OrgChangedPayload(account_id=str() as account_id) if account_id:
            return f"account {account_id}"
        case OrgChangedPayload(ou_path=path, policy=policy, target=target):
            # Older rows keep only `target`: the OU path, or "policies" / "accounts".
            where = path or {"policies": "", "accounts": ""}.get(target, target or "Root")
            return " · ".join(part for part in (where, f"SCP {policy}" if policy else "") if part)
        case DriftRepairedPayload(target=target):
            return target or "Root"
        case RoleChangedPayload(username=username, group=group) if username:
            return f"{username} in {group}"
        case SigninLockedOutPayload(username=username, ip_address=ip):
            return f"sign-in {username or '-'} from {ip or 'unknown address'}"
    return ""
