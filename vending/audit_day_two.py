"""The audit events of an account's day two (who has access, its budget and contacts in
AWS, what it spends) and of the portal's webhooks: one typed function per event, as in
vending/audit.py, whose `audit_record` writes them."""

from __future__ import annotations

from vending.audit import Actor, audit_record
from vending.audit_payloads import (
    AccessChangedPayload,
    AccountBudgetChangedPayload,
    AccountSetupDonePayload,
    AccountSetupRetriedPayload,
    WebhookChangedPayload,
)
from vending.choices import AuditAction
from vending.models import (
    AuditEvent,
    VendedAccount,
    WebhookEndpoint,
)


def account_budget_changed(
    *, actor: Actor, account: VendedAccount, previous: str | None, amount: str | None
) -> AuditEvent:
    """An admin set, changed or removed an account's monthly budget (amounts in USD)."""
    return audit_record(
        action=AuditAction.ACCOUNT_BUDGET_CHANGED,
        actor=actor,
        account=account,
        message=f"Budget {previous or 'none'} -> {amount or 'none'} USD a month.",
        payload=AccountBudgetChangedPayload(previous=previous, amount=amount),
    )


def account_setup_done(
    *, account: VendedAccount, part: str, status: str, detail: str
) -> AuditEvent:
    """The portal set (or removed) an account's contacts or budget in AWS, or AWS refused."""
    return audit_record(
        action=AuditAction.ACCOUNT_SETUP_DONE,
        account=account,
        message=f"{part.capitalize()}: {status}. {detail}".strip(),
        payload=AccountSetupDonePayload(part=part, status=status, detail=detail),
    )


def account_setup_retried(
    *, actor: Actor, account: VendedAccount, parts: list[str], errors: list[str]
) -> AuditEvent:
    """An admin asked again for the contacts or budget AWS had refused."""
    return audit_record(
        action=AuditAction.ACCOUNT_SETUP_RETRIED,
        actor=actor,
        account=account,
        message=f"{' and '.join(p.capitalize() for p in parts)} tried again.",
        payload=AccountSetupRetriedPayload(parts=tuple(parts), errors=tuple(errors)),
    )


def access_changed(
    *,
    account: VendedAccount,
    assigned: bool,
    group: str,
    group_id: str,
    permission_set: str,
    permission_set_arn: str,
    request_id: str,
) -> AuditEvent:
    """AWS reports an Identity Center assignment on `account` made (or removed)."""
    done = "now has" if assigned else "no longer has"
    return audit_record(
        action=AuditAction.ACCESS_ASSIGNED if assigned else AuditAction.ACCESS_REMOVED,
        account=account,
        team=account.owner_team,
        message=f"Group {group} {done} {permission_set} on {account.account_id}.",
        payload=AccessChangedPayload(
            group=group,
            group_id=group_id,
            permission_set=permission_set,
            permission_set_arn=permission_set_arn,
            request_id=request_id,
        ),
    )


def cost_refresh_requested(*, actor: Actor) -> AuditEvent:
    """An admin asked for the accounts' spend to be read from Cost Explorer now."""
    return audit_record(
        action=AuditAction.COST_REFRESH_REQUESTED,
        actor=actor,
        message="Cost refresh requested.",
    )


def webhook_changed(*, actor: Actor, endpoint: WebhookEndpoint, change: str) -> AuditEvent:
    """An admin made, changed, rotated, tested or deleted a webhook endpoint (never its
    secret: that is derived, and shown only to them)."""
    return audit_record(
        action=AuditAction.WEBHOOK_CHANGED,
        actor=actor,
        message=f"Webhook endpoint {endpoint.name!r} ({endpoint.url}) {change}.",
        payload=WebhookChangedPayload(
            endpoint_id=endpoint.pk,
            name=endpoint.name,
            url=endpoint.url,
            change=change,
            events=tuple(endpoint.events),
        ),
    )
