"""Submitting a request about an existing account (change_class, decommission, ...).

The same machine as creation: it waits for approval (`services.requests`), its approval
starts the work (`services.account_lifecycle`). The plan (`selectors.lifecycle_plans`)
says what it would do and refuses what cannot be asked; an account has at most one open
request (a unique constraint makes two concurrent submissions end in one).
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from vending.audit import request_submitted
from vending.choices import AccountOrigin, RequestKind
from vending.errors import DuplicateRequest, InvalidInput
from vending.models import AccountRequest, Team, VendedAccount
from vending.notifications import notify_approval_needed
from vending.selectors.invite_plans import invite_plan
from vending.selectors.lifecycle_plans import LifecyclePlan, lifecycle_plan
from vending.selectors.request_metadata import MetadataInput, request_metadata_check

JUSTIFICATION_MAX = 4000
# The kinds whose work after approval the portal carries out.
KINDS_RUNNABLE = frozenset({RequestKind.CHANGE_CLASS, RequestKind.DECOMMISSION, RequestKind.EXTEND})
# (Invitations have their own submit below: `account_invite_request_create`.)


def account_change_request_create(
    *,
    requester: User,
    kind: str,
    account_id: str,
    justification: str,
    compliance_class: str = "",
    expires_on: date | None = None,
) -> AccountRequest:
    """Submit a request about `account_id`; only its team's leads may. Every input error
    is reported at once (the justification's beside the plan's)."""
    errors: dict[str, list[str]] = {}
    justification = justification.strip()
    if not justification:
        errors["justification"] = ["This field is required."]
    elif len(justification) > JUSTIFICATION_MAX:
        errors["justification"] = [f"At most {JUSTIFICATION_MAX} characters."]
    if kind not in KINDS_RUNNABLE:
        errors["kind"] = [f"Requests of kind '{kind}' are not available in this portal yet."]
    plan: LifecyclePlan | None = None
    try:
        plan = lifecycle_plan(
            user=requester,
            kind=kind,
            account_id=account_id,
            compliance_class=compliance_class,
            expires_on=expires_on,
        )
    except InvalidInput as exc:
        errors = {**exc.field_errors, **errors}
    if errors or plan is None:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(f"The request cannot be made: {first}", field_errors=errors)
    assert plan.account.owner_team is not None  # the plan refuses an account without one
    try:
        with transaction.atomic():
            request = AccountRequest.objects.create(
                kind=kind,
                target_account=plan.account,
                team=plan.account.owner_team,
                requester=requester,
                compliance_class=plan.compliance_class,
                environments=plan.environments,
                justification=justification,
                approvals_required=plan.approvals_required,
                expires_on=expires_on if kind == RequestKind.EXTEND else None,
            )
            request_submitted(actor=requester, request=request)
            notify_approval_needed(request)
    except IntegrityError as exc:
        # Another request about the account was submitted between the check and here.
        raise DuplicateRequest(
            f"Account {account_id} already has an open request.",
            field_errors={"account_id": ["Another request is still open for it."]},
        ) from exc
    return request


def account_invite_request_create(
    *,
    requester: User,
    team: Team,
    compliance_class: str,
    environment: str,
    justification: str,
    account_id: str = "",
    email: str = "",
    metadata: MetadataInput | None = None,
) -> AccountRequest:
    """Invite an existing account (by id or root e-mail) for `team`; refused at once
    when the organization already holds it. `metadata`: its owner, cost centre and tags
    (attached when it accepts), as for a creation.
    Long because it writes the request, its account, the audit row and the e-mail in
    one transaction, as creation does."""
    justification = justification.strip()
    if not justification:
        raise InvalidInput(
            "Say why the account is needed.",
            field_errors={"justification": ["This field is required."]},
        )
    meta = request_metadata_check(team=team, requester=requester, given=metadata or MetadataInput())
    plan = invite_plan(
        user=requester,
        team=team,
        compliance_class=compliance_class,
        environment=environment,
        account_id=account_id,
        email=email,
    )
    try:
        with transaction.atomic():
            if account_id:  # an earlier invitation that never happened frees the id
                VendedAccount.objects.filter(account_id=account_id, is_active=False).update(
                    account_id=None
                )
            request = AccountRequest.objects.create(
                kind=RequestKind.INVITE,
                team=team,
                requester=requester,
                compliance_class=compliance_class,
                environments=[environment],
                justification=justification[:JUSTIFICATION_MAX],
                approvals_required=plan.approvals_required,
                **meta.request_columns(),
            )
            account = VendedAccount.objects.create(
                request=request,
                origin=AccountOrigin.INVITED,
                environment=environment,
                # Until it joins, the portal knows it by what the invitation names.
                name=f"invited {account_id or email}"[:50],
                email=email or account_id,
                account_id=account_id or None,
                target_ou_path=plan.ou_path,
                **meta.request_columns(),
            )
            AccountRequest.objects.filter(pk=request.pk).update(target_account=account)
            request.target_account = account
            request_submitted(actor=requester, request=request)
            notify_approval_needed(request)
    except IntegrityError as exc:
        raise DuplicateRequest(
            f"{account_id or email} is already asked for by another request.",
            field_errors={"account_id" if account_id else "email": ["Already asked for."]},
        ) from exc
    return request
