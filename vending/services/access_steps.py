"""The steps of one access sync (vending/services/account_access.py runs them under the
account's access lease): each assignment row taken one step further, AWS's asynchronous
answers read back, the instance, group ids and permission set ARNs looked up once and
only when a row needs them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vending.access_models import AccessAssignment, AccountAccess
from vending.audit_day_two import access_changed
from vending.aws import AwsError, PermanentAwsError, TransientAwsError
from vending.aws.identity_center import (
    AssignmentState,
    AssignmentStatus,
    IdentityCenterGateway,
    IdentityCenterInstance,
)
from vending.choices import AccessStatus
from vending.models import VendedAccount
from vending.selectors.access import Grant, access_wanted

NO_INSTANCE = (
    "No IAM Identity Center instance was found (ListInstances): access is not managed by "
    "the portal. Enable Identity Center, or set VENDING_SSO_INSTANCE_ARN."
)
MAX_POLL_SECONDS = 60.0
# Steps one row may take in one run (pending -> in_progress -> assigned -> removing ...).
MAX_STEPS = 4
GONE = frozenset({"ResourceNotFoundException"})


@dataclass
class AccessRun:
    """One sync of one account: the instance, groups and permission sets are looked up
    once, and only when a row needs them."""

    account: VendedAccount
    gw: IdentityCenterGateway
    transient: TransientAwsError | None = None
    _instance: IdentityCenterInstance | None = None
    _permission_sets: dict[str, str] | None = None
    _groups: dict[str, str | None] = field(default_factory=dict)

    def sync(self) -> float | None:
        wanted = access_wanted(self.account)
        rows = _rows_for(self.account, wanted)
        work = [
            (row, _grant(row) in wanted) for row in rows if _needs_work(row, _grant(row) in wanted)
        ]
        if not work:
            return None
        try:
            if self.instance() is None:
                return None
        except TransientAwsError as exc:
            self.transient = exc
            return None
        except PermanentAwsError as exc:  # e.g. the role may not call ListInstances
            reason = (
                f"Identity Center could not be read: AWS refused {exc.operation}: {exc.message}"
            )
            AccountAccess.objects.filter(account=self.account).update(notice=reason)
            return None
        waits: list[float] = []
        for row, keep in work:
            try:
                wait = self.advance(row, keep=keep)
            except PermanentAwsError as exc:
                _failed(row, f"AWS refused {exc.operation}: {exc.message} ({exc.code}).", exc)
                continue
            except TransientAwsError as exc:
                _error_record(row, exc)
                self.transient = self.transient or exc
                continue
            if wait is not None:
                waits.append(wait)
        return min(waits) if waits else None

    def instance(self) -> IdentityCenterInstance | None:
        if self._instance is None:
            self._instance = identity_center_instance(self.gw)
            notice = "" if self._instance else NO_INSTANCE
            AccountAccess.objects.filter(account=self.account).update(notice=notice)
        return self._instance

    def advance(self, row: AccessAssignment, *, keep: bool) -> float | None:
        for _ in range(MAX_STEPS):
            status = row.status
            if keep and status == AccessStatus.PENDING:
                self.create(row)
            elif status == AccessStatus.IN_PROGRESS:
                self.poll(row, deleting=False)
            elif not keep and status in (AccessStatus.ASSIGNED, AccessStatus.FAILED):
                self.delete(row)
            elif status == AccessStatus.REMOVING:
                self.poll(row, deleting=True)
            elif not keep and status == AccessStatus.PENDING:
                _set(row, status=AccessStatus.REMOVED, request_id="", requested_at=None)
            elif keep and status == AccessStatus.REMOVED:  # wanted again while removed
                _revive(row)
            if row.status in (AccessStatus.IN_PROGRESS, AccessStatus.REMOVING):
                return _poll_after(row.requested_at)
            if row.status == status or not _needs_work(row, keep):
                return None
        return None

    def create(self, row: AccessAssignment) -> None:
        if not self.resolve(row):
            return
        instance = self.instance()
        assert instance is not None and self.account.account_id
        if row.requested_at is not None and self.assigned(row):
            # An earlier run asked and lost the answer: AWS has it already.
            _set(row, status=AccessStatus.ASSIGNED, request_id=row.request_id)
            _audit(self.account, row, assigned=True)
            return
        _set(row, requested_at=timezone.now())  # the write-ahead marker, committed
        answer = self.gw.create_account_assignment(
            instance_arn=instance.instance_arn,
            account_id=self.account.account_id,
            permission_set_arn=row.permission_set_arn,
            group_id=row.group_id,
        )
        _set(row, status=AccessStatus.IN_PROGRESS, request_id=answer.request_id)
        self.settle(row, answer, deleting=False)

    def delete(self, row: AccessAssignment) -> None:
        instance = self.instance()
        assert instance is not None
        if not (row.group_id and row.permission_set_arn and self.account.account_id):
            _set(row, status=AccessStatus.REMOVED, request_id="")  # never assigned
            return
        if row.status == AccessStatus.FAILED and not self.assigned(row):
            _set(row, status=AccessStatus.REMOVED, request_id="")
            return
        try:
            answer = self.gw.delete_account_assignment(
                instance_arn=instance.instance_arn,
                account_id=self.account.account_id,
                permission_set_arn=row.permission_set_arn,
                group_id=row.group_id,
            )
        except PermanentAwsError as exc:
            if exc.code not in GONE:
                raise
            _set(row, status=AccessStatus.REMOVED, request_id="")  # nothing left to remove
            return
        _set(
            row,
            status=AccessStatus.REMOVING,
            request_id=answer.request_id,
            requested_at=timezone.now(),
        )
        self.settle(row, answer, deleting=True)

    def poll(self, row: AccessAssignment, *, deleting: bool) -> None:
        instance = self.instance()
        assert instance is not None
        read = (
            self.gw.describe_assignment_deletion
            if deleting
            else self.gw.describe_assignment_creation
        )
        self.settle(
            row,
            read(instance_arn=instance.instance_arn, request_id=row.request_id),
            deleting=deleting,
        )

    def settle(self, row: AccessAssignment, answer: AssignmentStatus, *, deleting: bool) -> None:
        if answer.state == AssignmentState.IN_PROGRESS:
            return
        if answer.state == AssignmentState.FAILED:
            verb = "remove" if deleting else "assign"
            _failed(
                row,
                f"AWS could not {verb} the access: {answer.failure_reason or 'no reason given'}.",
            )
            return
        with transaction.atomic():
            _set(row, status=AccessStatus.REMOVED if deleting else AccessStatus.ASSIGNED)
            _audit(self.account, row, assigned=not deleting)

    def assigned(self, row: AccessAssignment) -> bool:
        instance = self.instance()
        assert instance is not None and self.account.account_id
        return any(
            a.principal_id == row.group_id
            for a in self.gw.list_account_assignments(
                instance_arn=instance.instance_arn,
                account_id=self.account.account_id,
                permission_set_arn=row.permission_set_arn,
            )
        )

    def resolve(self, row: AccessAssignment) -> bool:
        """The group's id and the permission set's ARN (kept on the row); a row whose
        group or permission set Identity Center does not know fails, saying which."""
        instance = self.instance()
        assert instance is not None
        if not row.group_id:
            if row.group not in self._groups:
                self._groups[row.group] = self.gw.find_group_id(
                    identity_store_id=instance.identity_store_id, display_name=row.group
                )
            group_id = self._groups[row.group]
            if group_id is None:
                _failed(
                    row,
                    f"The identity store has no group '{row.group}': create it in the "
                    "identity provider, or set the team's IdP group, then retry.",
                )
                return False
            _set(row, group_id=group_id)
        if not row.permission_set_arn:
            if self._permission_sets is None:
                self._permission_sets = {
                    p.name: p.arn
                    for p in self.gw.list_permission_sets(instance_arn=instance.instance_arn)
                }
            arn = self._permission_sets.get(row.permission_set)
            if arn is None:
                _failed(
                    row,
                    f"Identity Center has no permission set '{row.permission_set}': create "
                    "it, or change the blueprint's access section, then retry.",
                )
                return False
            _set(row, permission_set_arn=arn)
        return True


def identity_center_instance(gw: IdentityCenterGateway) -> IdentityCenterInstance | None:
    """The instance the portal manages access in: the one the settings name, else the
    first active one (ListInstances); None when there is none."""
    arn = settings.VENDING_SSO_INSTANCE_ARN
    store = settings.VENDING_SSO_IDENTITY_STORE_ID
    if arn and store:
        return IdentityCenterInstance(instance_arn=arn, identity_store_id=store)
    for instance in gw.list_instances():
        if (not arn or instance.instance_arn == arn) and instance.status in ("", "ACTIVE"):
            return instance
    return None


def _rows_for(account: VendedAccount, wanted: list[Grant]) -> list[AccessAssignment]:
    """The account's rows, with one made (or a removed one revived) per wanted grant."""
    for grant in wanted:
        row, made = AccessAssignment.objects.get_or_create(
            account=account, group=grant.group, permission_set=grant.permission_set
        )
        if not made and row.status == AccessStatus.REMOVED:
            _revive(row)
    return list(
        AccessAssignment.objects.filter(account=account).exclude(status=AccessStatus.REMOVED)
    )


def _revive(row: AccessAssignment) -> None:
    _set(row, status=AccessStatus.PENDING, request_id="", requested_at=None, attempts=0)


def _grant(row: AccessAssignment) -> Grant:
    return Grant(group=row.group, permission_set=row.permission_set)


def _needs_work(row: AccessAssignment, keep: bool) -> bool:
    if row.status in (AccessStatus.IN_PROGRESS, AccessStatus.REMOVING):
        return True
    if keep:
        return row.status in (AccessStatus.PENDING, AccessStatus.REMOVED)
    return row.status != AccessStatus.REMOVED


def _set(row: AccessAssignment, **fields: object) -> None:
    """Write `fields` to the row now (its own short commit) and to the instance."""
    if fields.get("status") in (AccessStatus.ASSIGNED, AccessStatus.REMOVED):
        fields.update(attempts=0, last_error_code="", last_error="", last_error_at=None)
    AccessAssignment.objects.filter(pk=row.pk).update(updated_at=timezone.now(), **fields)
    for name, value in fields.items():
        setattr(row, name, value)


def _failed(row: AccessAssignment, reason: str, exc: AwsError | None = None) -> None:
    _set(
        row,
        status=AccessStatus.FAILED,
        attempts=row.attempts + 1,
        last_error_code=(exc.code if exc else "")[:64],
        last_error=reason,
        last_error_at=timezone.now(),
    )


def _error_record(row: AccessAssignment, exc: AwsError) -> None:
    _set(
        row,
        attempts=row.attempts + 1,
        last_error_code=exc.code[:64],
        last_error=f"{exc.operation}: {exc.message} (will be retried)",
        last_error_at=timezone.now(),
    )


def _audit(account: VendedAccount, row: AccessAssignment, *, assigned: bool) -> None:
    access_changed(
        account=account,
        assigned=assigned,
        group=row.group,
        group_id=row.group_id,
        permission_set=row.permission_set,
        permission_set_arn=row.permission_set_arn,
        request_id=row.request_id,
    )


def _poll_after(asked_at: datetime | None) -> float:
    """First read after VENDING_ACCESS_POLL_SECONDS, then backing off with the age of the
    request (half of it), up to a minute."""
    first = float(settings.VENDING_ACCESS_POLL_SECONDS)
    if asked_at is None:
        return first
    age = (timezone.now() - asked_at).total_seconds()
    return min(MAX_POLL_SECONDS, max(first, age / 2))
