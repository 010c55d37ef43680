"""The append-only audit trail: one writer per kind of event (reading: audit_reading.py).

Each writer takes keyword-only typed arguments and writes one `AuditEvent` row. What a
kind of event keeps in `data` is a frozen dataclass (`...Payload`, in
vending/audit_payloads.py) that knows its stored keys, so a reader calls
`audit_reading.audit_event_payload(event)` instead of guessing keys. The keys
are public (the REST API returns `data` as stored); a key missing from an older row
reads back as its field's default.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import AnonymousUser, User

from vending.audit_payloads import (
    AccountAdoptedPayload,
    AccountClassChangedPayload,
    AccountCreateRequestedPayload,
    AccountImportedPayload,
    AccountMovedPayload,
    AccountRetriedPayload,
    AccountTaggedPayload,
    AccountTeamAssignedPayload,
    AuditPayload,
    DriftRepairedPayload,
    OrgChangedPayload,
    RequestApprovalAddedPayload,
    RequestSubmittedPayload,
    RoleChangedPayload,
    SigninLockedOutPayload,
    TeamCreatedPayload,
)
from vending.blueprint.plan import Change
from vending.choices import AccountStatus, AuditAction, RequestStatus, RoleChangeSource
from vending.models import (
    AccountRequest,
    AuditEvent,
    DriftFinding,
    Team,
    VendedAccount,
)

Actor = User | AnonymousUser | None


# -- writers: one per kind of event -----------------------------------------------------


def audit_record(
    *,
    action: AuditAction,
    actor: Actor = None,
    team: Team | None = None,
    request: AccountRequest | None = None,
    account: VendedAccount | None = None,
    from_status: str = "",
    to_status: str = "",
    message: str = "",
    payload: AuditPayload | None = None,
) -> AuditEvent:
    if account is not None and request is None:
        request = account.request
    if request is not None and team is None:
        team = request.team
    user = actor if isinstance(actor, User) else None
    return AuditEvent.objects.create(
        action=action,
        actor=user,
        team=team,
        request=request,
        account=account,
        from_status=from_status,
        to_status=to_status,
        message=message,
        data=payload.to_data() if payload is not None else {},
    )


def team_created(*, actor: Actor, team: Team) -> AuditEvent:
    """After the team and its leads are saved."""
    leads = tuple(sorted(u.get_username() for u in team.leads.all()))
    return audit_record(
        action=AuditAction.TEAM_CREATED,
        actor=actor,
        team=team,
        payload=TeamCreatedPayload(slug=team.slug, leads=leads),
    )


def request_submitted(*, actor: Actor, request: AccountRequest) -> AuditEvent:
    return audit_record(
        action=AuditAction.REQUEST_SUBMITTED,
        actor=actor,
        request=request,
        to_status=request.status,
        payload=RequestSubmittedPayload(
            compliance_class=request.compliance_class,
            environments=tuple(request.environments),
            approvals_required=request.approvals_required,
            kind=request.kind,
            account_id=(request.target_account.account_id or "") if request.target_account else "",
        ),
    )


def request_approval_added(
    *, approver: User, request: AccountRequest, comment: str, approvals: int
) -> AuditEvent:
    """`approvals`: how many the request has with this one."""
    return audit_record(
        action=AuditAction.REQUEST_APPROVAL_ADDED,
        actor=approver,
        request=request,
        message=comment,
        payload=RequestApprovalAddedPayload(
            approvals=approvals, required=request.approvals_required
        ),
    )


def request_status_changed(
    *,
    actor: Actor,
    request: AccountRequest,
    from_status: str,
    to_status: RequestStatus,
    message: str = "",
) -> AuditEvent:
    return audit_record(
        action=AuditAction.REQUEST_STATUS_CHANGED,
        actor=actor,
        request=request,
        from_status=from_status,
        to_status=to_status,
        message=message,
    )


def account_status_changed(
    *,
    actor: Actor,
    account: VendedAccount,
    from_status: str,
    to_status: AccountStatus,
    message: str = "",
) -> AuditEvent:
    return audit_record(
        action=AuditAction.ACCOUNT_STATUS_CHANGED,
        actor=actor,
        account=account,
        from_status=from_status,
        to_status=to_status,
        message=message,
    )


def account_create_requested(
    *, account: VendedAccount, create_request_id: str, tags: Mapping[str, str] | None
) -> AuditEvent:
    """`tags`: what CreateAccount was sent with; None when the creation was found in
    progress after an interrupted attempt (its tags are then set when it is placed)."""
    return audit_record(
        action=AuditAction.ACCOUNT_CREATE_REQUESTED,
        account=account,
        message="" if tags is not None else "Found in progress after an interrupted attempt.",
        payload=AccountCreateRequestedPayload(
            create_request_id=create_request_id, tags=dict(tags or {}), recovered=tags is None
        ),
    )


def account_adopted(*, account: VendedAccount, aws_account_id: str, how: str) -> AuditEvent:
    """`how`: why the AWS account is taken to be this one."""
    return audit_record(
        action=AuditAction.ACCOUNT_ADOPTED,
        account=account,
        message=f"Adopted AWS account {aws_account_id}: {how}.",
        payload=AccountAdoptedPayload(account_id=aws_account_id),
    )


def account_moved(*, account: VendedAccount, from_parent_id: str, to_parent_id: str) -> AuditEvent:
    return audit_record(
        action=AuditAction.ACCOUNT_MOVED,
        account=account,
        message=f"Moved into {account.target_ou_path}.",
        payload=AccountMovedPayload(from_parent_id=from_parent_id, to_parent_id=to_parent_id),
    )


def account_tagged(*, account: VendedAccount, tags: Mapping[str, str]) -> AuditEvent:
    return audit_record(
        action=AuditAction.ACCOUNT_TAGGED,
        account=account,
        payload=AccountTaggedPayload(tags=dict(tags)),
    )


def account_retried(
    *, actor: Actor, account: VendedAccount, stalled_reason: str = ""
) -> AuditEvent:
    """Before the retry clears the account's failure: the event keeps it. `stalled_reason`:
    the account had not failed but made no progress, and was queued again as it was."""
    return audit_record(
        action=AuditAction.ACCOUNT_RETRIED,
        actor=actor,
        account=account,
        message=f"Retried while stalled: {stalled_reason}" if stalled_reason else "",
        payload=AccountRetriedPayload(
            failure_code=account.failure_code,
            failure_reason=account.failure_reason,
            create_request_id=account.create_request_id or "",
            create_attempts=account.create_attempts,
            from_status=account.status,
            stalled_reason=stalled_reason,
            attempts=account.attempts,
            last_error_code=account.last_error_code,
            last_error_message=account.last_error_message,
        ),
    )


def account_imported(*, actor: Actor, account: VendedAccount, organization_id: str) -> AuditEvent:
    """An account that was in the organization before the portal entered its inventory."""
    return audit_record(
        action=AuditAction.ACCOUNT_IMPORTED,
        actor=actor,
        account=account,
        message=f"Imported AWS account {account.account_id} "
        f"from {account.target_ou_path or 'Root'}.",
        payload=AccountImportedPayload(
            account_id=account.account_id or "",
            organization_id=organization_id,
            ou_path=account.target_ou_path,
            compliance_class=account.compliance_class,
        ),
    )


def account_team_assigned(
    *,
    actor: Actor,
    account: VendedAccount,
    team: Team,
    previous: Team | None,
    previous_environment: str,
) -> AuditEvent:
    """An admin gave an imported or invited account to `team`, as its `environment`."""
    env, was_env = account.environment, previous_environment
    message = f"Assigned to team {team.slug}" + (f" as {env}" if env else "")
    moved = previous is not None and previous.pk != team.pk
    was = [f"team {previous.slug}" if moved and previous else "", was_env if was_env != env else ""]
    was = [w for w in was if w]
    return audit_record(
        action=AuditAction.ACCOUNT_TEAM_ASSIGNED,
        actor=actor,
        team=team,
        account=account,
        message=message + (f" (was {', '.join(was)})." if was else "."),
        payload=AccountTeamAssignedPayload(
            team=team.slug,
            previous=previous.slug if previous else "",
            environment=env,
            previous_environment=was_env,
        ),
    )


def account_class_changed(
    *, account: VendedAccount, previous: str, request: AccountRequest
) -> AuditEvent:
    """The portal moved `account` into its new class's OU for a change_class request."""
    return audit_record(
        action=AuditAction.ACCOUNT_CLASS_CHANGED,
        account=account,
        request=request,
        message=f"Class changed from {previous or 'none'} to {account.compliance_class}.",
        payload=AccountClassChangedPayload(
            previous=previous,
            compliance_class=account.compliance_class,
            ou_path=account.target_ou_path,
            request_id=request.pk,
        ),
    )


def org_changed(*, actor: Actor, change: Change) -> AuditEvent:
    return audit_record(
        action=AuditAction.ORG_CHANGED,
        actor=actor,
        message=change.summary,
        payload=OrgChangedPayload(
            change=change.action,
            target=change.target,
            key=change.key,
            ou_path=change.ou_path or change.destination,
            policy=change.policy,
            account_id=change.account_id,
        ),
    )


def drift_scan_requested(*, actor: Actor) -> AuditEvent:
    return audit_record(
        action=AuditAction.DRIFT_SCAN_REQUESTED, actor=actor, message="Drift scan requested."
    )


def drift_repaired(*, actor: Actor, finding: DriftFinding, changes: list[Change]) -> AuditEvent:
    """One finding repaired from the web: the blueprint applied to its target only."""
    return audit_record(
        action=AuditAction.DRIFT_REPAIRED,
        actor=actor,
        message=f"Repaired {finding.get_kind_display()} at {finding.target or 'Root'}: "
        + "; ".join(c.summary for c in changes),
        payload=DriftRepairedPayload(
            key=finding.key,
            kind=finding.kind,
            target=finding.target,
            changes=tuple(c.summary for c in changes),
        ),
    )


def role_changed(
    *, actor: Actor, user: User, group: str, added: bool, source: RoleChangeSource
) -> AuditEvent:
    """`actor` None: the portal, applying the identity provider's groups."""
    username = user.get_username()
    return audit_record(
        action=AuditAction.ROLE_CHANGED,
        actor=actor,
        message=(f"Added {username} to {group}" if added else f"Removed {username} from {group}")
        + f" ({source.label}).",
        payload=RoleChangedPayload(
            username=username, user_id=user.pk, group=group, added=added, source=source
        ),
    )


def signin_locked_out(*, username: str, ip_address: str, failures: int) -> AuditEvent:
    """Repeated failed sign-ins locked out a user or an address (no actor: the portal)."""
    return audit_record(
        action=AuditAction.SIGNIN_LOCKED_OUT,
        message=f"Sign-in locked out after {failures} failures: user {username or '-'!r} "
        f"from {ip_address or 'an unknown address'}.",
        payload=SigninLockedOutPayload(username=username, ip_address=ip_address, failures=failures),
    )
