"""Account requests: submit, approve, reject, cancel (the preview is a read:
`vending.selectors.request_plans`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from vending.audit import Actor, request_approval_added, request_submitted
from vending.choices import AccountStatus, RequestStatus
from vending.dispatch import enqueue_request_provisioning
from vending.errors import DuplicateRequest, InvalidInput, InvalidTransition, PermissionDenied
from vending.models import AccountRequest, Approval, Team, VendedAccount
from vending.notifications import notify_approval_needed, notify_requester
from vending.roles import approval_refusal, is_admin, is_approver, is_lead_of
from vending.selectors.leases import lease_end_errors
from vending.selectors.request_metadata import MetadataInput, request_metadata_check
from vending.selectors.request_plans import PlannedAccount, account_request_plan
from vending.selectors.requests import approvals_counted
from vending.transitions import transition

JUSTIFICATION_MAX = 4000


def account_request_create(
    *,
    requester: User,
    team: Team,
    compliance_class: str,
    environments: Iterable[str],
    justification: str,
    expires_on: date | None = None,
    metadata: MetadataInput | None = None,
) -> AccountRequest:
    """Submit a request (the team's leads); `expires_on`: the accounts' lease;
    `metadata`: its owner, cost centre, tags, contacts and budget (defaults: the
    requester, the team's slug, none, none, the blueprint's)."""
    if not is_lead_of(requester, team):
        raise PermissionDenied(f"Only leads of team '{team.slug}' can request accounts for it.")
    meta = request_metadata_check(team=team, requester=requester, given=metadata or MetadataInput())
    justification = _justification_checked(justification)
    plan = account_request_plan(
        team=team, compliance_class=compliance_class, environments=environments
    )
    _refuse_lease(expires_on, compliance_class=compliance_class, environments=plan.environments)
    if plan.conflicts:
        raise _duplicate(plan.conflicts)
    try:
        with transaction.atomic():
            request = AccountRequest.objects.create(
                team=team,
                requester=requester,
                compliance_class=compliance_class,
                environments=plan.environments,
                justification=justification,
                approvals_required=plan.approvals_required,
                expires_on=expires_on,
                **meta.request_columns(),
            )
            VendedAccount.objects.bulk_create(
                VendedAccount(
                    request=request,
                    expires_on=expires_on,
                    **meta.account_columns(compliance_class, a.environment),
                    environment=a.environment,
                    name=a.name,
                    email=a.email,
                    target_ou_path=a.ou_path,
                )
                for a in plan.accounts
            )
            request_submitted(actor=requester, request=request)
            notify_approval_needed(request)
    except IntegrityError as exc:
        # Another request took the same e-mail between the check and the insert.
        fresh = account_request_plan(
            team=team, compliance_class=compliance_class, environments=environments
        )
        raise _duplicate(fresh.conflicts) from exc
    return request


def _justification_checked(justification: str) -> str:
    justification = justification.strip()
    if not justification:
        raise InvalidInput(
            "Say why the accounts are needed.",
            field_errors={"justification": ["This field is required."]},
        )
    if len(justification) > JUSTIFICATION_MAX:
        raise InvalidInput(
            f"The justification is limited to {JUSTIFICATION_MAX} characters.",
            field_errors={"justification": [f"At most {JUSTIFICATION_MAX} characters."]},
        )
    return justification


def _refuse_lease(
    expires_on: date | None, *, compliance_class: str, environments: list[str]
) -> None:
    if expires_on is None:
        return
    lease = lease_end_errors(
        expires_on=expires_on, compliance_class=compliance_class, environments=environments
    )
    if lease:
        raise InvalidInput(lease[0], field_errors={"expires_on": lease})


def _duplicate(conflicts: list[PlannedAccount]) -> DuplicateRequest:
    parts = [
        f"{c.environment} ({c.email}) is already held by request #{c.conflict_request_id}"
        for c in conflicts
    ]
    return DuplicateRequest(
        "This team already has these accounts: " + "; ".join(parts) + ".",
        field_errors={"environments": parts},
    )


@dataclass(frozen=True)
class ApprovalOutcome:
    request: AccountRequest
    approval: Approval
    provisioning_started: bool

    @property
    def approvals_missing(self) -> int:
        counted = approvals_counted(request=self.request).count()
        return max(0, self.request.approvals_required - counted)


def account_request_approve(
    *, request: AccountRequest, approver: User, comment: str = ""
) -> ApprovalOutcome:
    """Record an approval; the last one needed starts provisioning (exactly once).

    Separation of duties (`roles.approval_refusal`): only an approver who neither
    submitted the request nor leads its team, once. Provisioning starts when enough
    approvals count, each from someone who, at that moment, still leads no team of it.
    """
    with transaction.atomic():
        # The row lock serialises approvers of one request, so two final approvals
        # cannot both see "one missing" and neither start provisioning.
        locked = (
            AccountRequest.objects.select_for_update(of=("self",))
            .select_related("team", "requester")
            .get(pk=request.pk)
        )
        refusal = approval_refusal(approver, locked)
        if refusal:
            raise PermissionDenied(refusal)
        if locked.status != RequestStatus.PENDING_APPROVAL:
            raise InvalidTransition(
                f"Request #{locked.pk} is {locked.get_status_display().lower()}; "
                "it no longer takes approvals."
            )
        # An approver who may approve (refused above otherwise) is one whose approvals
        # count: their earlier approval, if any, is among the counted ones.
        counted = list(approvals_counted(request=locked).values_list("approver_id", flat=True))
        if approver.pk in counted:
            raise DuplicateRequest("You have already approved this request.")
        approval = Approval.objects.create(request=locked, approver=approver, comment=comment)
        count = len(counted) + 1
        request_approval_added(approver=approver, request=locked, comment=comment, approvals=count)
        started = count >= locked.approvals_required
        if started:
            transition(locked, to=RequestStatus.APPROVED, actor=approver)
            transition(locked, to=RequestStatus.PROVISIONING)
            enqueue_request_provisioning(locked.pk)
            notify_requester(locked, RequestStatus.APPROVED)
        else:
            notify_approval_needed(locked)
    # The caller's object as committed: the locked row, as the transitions left it.
    for field in AccountRequest._meta.concrete_fields:
        setattr(request, field.attname, getattr(locked, field.attname))
    request.__dict__.pop("_prefetched_objects_cache", None)  # as refresh_from_db does
    return ApprovalOutcome(request=request, approval=approval, provisioning_started=started)


def account_request_reject(*, request: AccountRequest, actor: Actor, reason: str) -> AccountRequest:
    """Close a waiting request with a reason. Any approver but its requester may, a lead
    of its team included: a rejection grants nothing, so the rule of approvals (nobody
    from the team) protects nothing here, and the team's own approver may well be the
    one who knows it should not go ahead (docs/security.md, "Separation of duties")."""
    if actor is None or not is_approver(actor):
        raise PermissionDenied("Only approvers can reject requests.")
    if request.requester_id == actor.pk:
        raise PermissionDenied("You cannot reject your own request; cancel it instead.")
    with transaction.atomic():  # the e-mail exists exactly when the rejection does
        request = _close(request, actor=actor, reason=reason, to=RequestStatus.REJECTED)
        notify_requester(request, RequestStatus.REJECTED)
    return request


def account_request_cancel(
    *, request: AccountRequest, actor: Actor, reason: str = ""
) -> AccountRequest:
    if actor is None or not (request.requester_id == actor.pk or is_admin(actor)):
        raise PermissionDenied("Only the requester or an admin can cancel a request.")
    return _close(request, actor=actor, reason=reason, to=RequestStatus.CANCELLED, required=False)


def _close(
    request: AccountRequest, *, actor: Actor, reason: str, to: RequestStatus, required: bool = True
) -> AccountRequest:
    reason = reason.strip()
    if required and not reason:
        raise InvalidInput("Give a reason.", field_errors={"reason": ["This field is required."]})
    with transaction.atomic():
        transition(request, to=to, actor=actor, message=reason, fields={"decision_reason": reason})
        # The accounts will never exist: they end cancelled, their names free for a later
        # request. (Only a request waiting for approval closes: its accounts are pending.)
        for account in request.accounts.filter(status=AccountStatus.PENDING):
            transition(
                account,
                to=AccountStatus.CANCELLED,
                actor=actor,
                message=f"Its request was {to.label.lower()}.",
                fields={"is_active": False},
            )
        request.accounts.update(is_active=False)
    return request
