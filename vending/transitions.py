"""Allowed status transitions and the one compare-and-swap helper that makes them.

A transition is `UPDATE ... SET status = <to> WHERE pk = <pk> AND status IN <allowed
sources>`: of two workers or approvers racing, exactly one changes the row; the other
gets `InvalidTransition`. Each successful transition writes an audit event in the same
transaction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from vending.audit import Actor, account_status_changed, request_status_changed
from vending.choices import AccountStatus, RequestStatus
from vending.errors import InvalidTransition
from vending.models import AccountRequest, VendedAccount

T = TypeVar("T", AccountRequest, VendedAccount)

R = RequestStatus
A = AccountStatus

REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    R.PENDING_APPROVAL: frozenset({R.APPROVED, R.REJECTED, R.CANCELLED}),
    R.APPROVED: frozenset({R.PROVISIONING}),
    R.PROVISIONING: frozenset({R.COMPLETED, R.FAILED}),
    # An admin retrying the failed accounts puts the request back to work.
    R.FAILED: frozenset({R.PROVISIONING}),
    R.COMPLETED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
}

ACCOUNT_TRANSITIONS: dict[str, frozenset[str]] = {
    A.PENDING: frozenset({A.CREATING, A.FAILED, A.CANCELLED, A.INVITED}),
    # An invitation: accepted (placed into its OU), or declined, canceled or expired.
    A.INVITED: frozenset({A.PLACING, A.CANCELLED}),
    A.CREATING: frozenset({A.PLACING, A.FAILED}),
    A.PLACING: frozenset({A.READY, A.FAILED}),
    A.FAILED: frozenset({A.PENDING}),
    # Decommissioning (vending/services/decommission.py).
    A.READY: frozenset({A.SUSPENDED}),
    A.SUSPENDED: frozenset({A.CLOSING, A.REMOVED}),
    A.CLOSING: frozenset({A.CLOSED}),
    A.CLOSED: frozenset(),
    A.REMOVED: frozenset(),
    A.CANCELLED: frozenset(),
}


def transition(
    obj: T,
    *,
    to: str,
    actor: Actor = None,
    message: str = "",
    fields: dict[str, Any] | None = None,
) -> T:
    """Move `obj` (a request or an account) to `to` if its status allows; else InvalidTransition.

    `fields` are written in the same UPDATE, so they change only if the status did.
    """
    if isinstance(obj, AccountRequest):
        model: type[AccountRequest] | type[VendedAccount] = AccountRequest
        table, labels = REQUEST_TRANSITIONS, RequestStatus
        name = f"Request #{obj.pk}"
        progress: dict[str, Any] = {}
    else:
        model = VendedAccount
        table, labels = ACCOUNT_TRANSITIONS, AccountStatus
        name = f"Account {obj.name}"
        progress = {"last_progress_at": timezone.now()}  # a change of status is progress
    sources = [source for source, targets in table.items() if to in targets]
    values = {"status": to, "updated_at": timezone.now(), **progress, **(fields or {})}
    # No savepoint of its own inside a caller's transaction (two round trips fewer): an
    # error in here fails the caller's transaction, and a refusal is raised outside.
    with transaction.atomic(savepoint=False):
        before: str | None = obj.status
        changed = before in sources and model.objects.filter(pk=obj.pk, status=before).update(
            **values
        )
        if changed:
            # Usually the status is still the one the caller read: one UPDATE, which also
            # says what the status was; the object now holds what it wrote.
            for attribute, value in values.items():
                setattr(obj, attribute, value)
        else:
            # Read the status, then swap from any allowed source.
            before = model.objects.filter(pk=obj.pk).values_list("status", flat=True).first()
            changed = model.objects.filter(pk=obj.pk, status__in=sources).update(**values)
            if changed:
                _reload(obj, fields or {})
        if changed:
            _audit(obj, actor=actor, before=before or "", to=to, message=message)
    if not changed:
        raise InvalidTransition(
            f"{name} is {_label(labels, before)}; it cannot become {_label(labels, to)}."
        )
    return obj


def _audit(
    obj: AccountRequest | VendedAccount, *, actor: Actor, before: str, to: str, message: str
) -> None:
    if isinstance(obj, AccountRequest):
        request_status_changed(
            actor=actor,
            request=obj,
            from_status=before,
            to_status=RequestStatus(to),
            message=message,
        )
    else:
        account_status_changed(
            actor=actor,
            account=obj,
            from_status=before,
            to_status=AccountStatus(to),
            message=message,
        )


def _reload(obj: AccountRequest | VendedAccount, fields: dict[str, Any]) -> None:
    """Read the row back, keeping the objects it refers to (the audit event needs them,
    and their ids did not change unless `fields` changed them)."""
    obj.refresh_from_db(
        fields=[
            f.attname
            for f in obj._meta.concrete_fields
            if not f.is_relation or f.attname in fields or f.name in fields
        ]
    )


def _label(choices: type[RequestStatus] | type[AccountStatus], value: str | None) -> str:
    if value is None:
        return "gone"
    return str(choices(value).label).lower()
