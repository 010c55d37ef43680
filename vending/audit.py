"""Writing the append-only audit trail: one function per kind of event."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from vending.choices import AuditAction
from vending.models import AccountRequest, AuditEvent, Team, VendedAccount

Actor = User | AnonymousUser | None


def audit_event_record(
    *,
    action: AuditAction,
    actor: Actor = None,
    team: Team | None = None,
    request: AccountRequest | None = None,
    account: VendedAccount | None = None,
    from_status: str = "",
    to_status: str = "",
    message: str = "",
    data: dict[str, Any] | None = None,
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
        data=data or {},
    )
