"""The steps of one access sync (vending/services/account_access.py runs them under the
account's access lease): each assignment row taken one step further, AWS's asynchronous
answers read back, the instance, group ids and permission set ARNs read from what is
kept (`identity_names`) and asked of AWS only when a row needs one that is not."""

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
from vending.services.identity_names import (
    group_id_resolve,
    identity_center_instance,
    identity_names_forget,
    identity_names_kept,
    permission_sets_resolve,
)

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
    """One sync of one account: the instance, groups and permission sets are read from
    what is kept, in one query when a row needs them, and asked of AWS only when one is
    not kept (or AWS said a kept one is gone)."""

    account: VendedAccount
    gw: IdentityCenterGateway
    transient: TransientAwsError | None = None
    notice: str = ""  # the account's access notice as the sync found it
    _instance: IdentityCenterInstance | None = None
    _names_read: bool = False
    _sets_listed: bool = False
    _permission_sets: dict[str, str] = field(default_factory=dict)
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
            if notice != self.notice:
                AccountAccess.objects.filter(account=self.account).update(notice=notice)
                self.notice = notice
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
        # The write-ahead marker, committed, with the ids the row was asked for by.
        ids = {"group_id": row.group_id, "permission_set_arn": row.permission_set_arn}
        _set(row, requested_at=timezone.now(), **ids)
        try:
            answer = self._assign(row)
        except PermanentAwsError as exc:
            if exc.code not in GONE:
                raise
            # A kept id no longer exists (the group or permission set was re-created):
            # look the names up again, once, and ask with what AWS says now.
            identity_names_forget(instance.instance_arn)
            self._forget()
            row.group_id = row.permission_set_arn = ""
            if not self.resolve(row):
                return
            _set(row, group_id=row.group_id, permission_set_arn=row.permission_set_arn)
            answer = self._assign(row)
        _set(row, status=AccessStatus.IN_PROGRESS, request_id=answer.request_id)
        self.settle(row, answer, deleting=False)

    def _assign(self, row: AccessAssignment) -> AssignmentStatus:
        instance = self.instance()
        assert instance is not None and self.account.account_id
        return self.gw.create_account_assignment(
            instance_arn=instance.instance_arn,
            account_id=self.account.account_id,
            permission_set_arn=row.permission_set_arn,
            group_id=row.group_id,
        )

    def _forget(self) -> None:
        """Ask AWS for the instance, groups and permission sets again (nothing is kept)."""
        self._instance = None
        self._groups.clear()
        self._permission_sets.clear()
        self._names_read, self._sets_listed = True, False

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
            if not deleting:
                # The ids may be stale (a group or permission set deleted and made again
                # under its name): the next sync, and the retry, look them up again.
                instance = self.instance()
                assert instance is not None  # asked in it, so it was found
                identity_names_forget(instance.instance_arn)
                _set(row, group_id="", permission_set_arn="")
            reason = (answer.failure_reason or "no reason given").rstrip(".")
            _failed(row, f"AWS could not {verb} the access: {reason}.")
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
        """The group's id and the permission set's ARN, set on the row (`create` writes
        them with its marker); a row whose group or permission set Identity Center does not
        know fails, saying which."""
        instance = self.instance()
        assert instance is not None
        if not self._names_read:
            groups, self._permission_sets = identity_names_kept(instance.instance_arn)
            self._groups.update(groups)
            self._names_read = True
        if not row.group_id:
            if row.group not in self._groups:
                self._groups[row.group] = group_id_resolve(self.gw, instance, row.group)
            group_id = self._groups[row.group]
            if group_id is None:
                _failed(
                    row,
                    f"The identity store has no group '{row.group}': create it in the "
                    "identity provider, or set the team's IdP group, then retry.",
                )
                return False
            row.group_id = group_id  # written with the marker (`create`)
        if not row.permission_set_arn:
            if row.permission_set not in self._permission_sets and not self._sets_listed:
                self._permission_sets = permission_sets_resolve(self.gw, instance)
                self._sets_listed = True
            arn = self._permission_sets.get(row.permission_set)
            if arn is None:
                _failed(
                    row,
                    f"Identity Center has no permission set '{row.permission_set}': create "
                    "it, or change the blueprint's access section, then retry.",
                )
                return False
            row.permission_set_arn = arn
        return True


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
