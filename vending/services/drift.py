"""Drift: where the live organization differs from the blueprint or the portal's records.

Each scan compares the live organization with the blueprint (the same plan `org plan`
prints), lists accounts in the organization that no request created and accounts the
portal holds that AWS no longer has. Findings are kept with first/last seen; one seen in
two consecutive scans is reported, so a change still in flight (an account being moved
right now) is not an alarm.

Each scan also writes on every ready account where it saw it (its OU path) or that it
did not see it at all (missing in AWS): the accounts list shows both without asking AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from vending.audit import Actor, drift_scan_requested
from vending.aws import AwsError, OrganizationsGateway
from vending.blueprint.live import LiveOrg
from vending.blueprint.plan import Action
from vending.choices import AccountStatus, DriftKind
from vending.dispatch import enqueue_drift_scan
from vending.errors import PermissionDenied
from vending.models import DriftFinding, DriftScan, VendedAccount
from vending.roles import is_admin
from vending.services.org_blueprint import org_blueprint_plan
from vending.services.org_units import org_units_remember_live

KIND_OF_CHANGE = {
    Action.CREATE_ORGANIZATION: DriftKind.ORGANIZATION,
    Action.ENABLE_SCP: DriftKind.ORGANIZATION,
    Action.CREATE_OU: DriftKind.OU_MISSING,
    Action.CREATE_POLICY: DriftKind.POLICY_MISSING,
    Action.UPDATE_POLICY: DriftKind.POLICY_EDITED,
    Action.ATTACH: DriftKind.ATTACHMENT_MISSING,
    Action.DETACH: DriftKind.ATTACHMENT_EXTRA,
    Action.MOVE_ACCOUNT: DriftKind.ACCOUNT_WRONG_OU,
}


@dataclass(frozen=True)
class Observation:
    key: str
    kind: DriftKind
    target: str
    detail: str


@dataclass
class DriftScanResult:
    scan: DriftScan
    open: list[DriftFinding] = field(default_factory=list)
    resolved: list[DriftFinding] = field(default_factory=list)

    @property
    def reported(self) -> list[DriftFinding]:
        return [f for f in self.open if f.reported]


def _observe(gateway: OrganizationsGateway | None) -> tuple[list[Observation], LiveOrg]:
    current = org_blueprint_plan(gateway=gateway)
    # The scan reads every OU anyway: keep their ids fresh for placing accounts.
    org_units_remember_live(live=current.live, blueprint=current.blueprint)
    observations = [
        Observation(
            key=change.key,
            kind=KIND_OF_CHANGE[change.action],
            target=change.ou_path
            or (f"account {change.account_id}" if change.account_id else change.target),
            detail=f"{change.ou_path or 'Root'}: {change.summary}"
            if change.action in (Action.ATTACH, Action.DETACH)
            else change.summary,
        )
        for change in current.plan.changes
    ]
    live = current.live
    known = set(
        VendedAccount.objects.filter(account_id__isnull=False).values_list("account_id", flat=True)
    )
    known |= {pin.account_id for pin in current.blueprint.accounts}
    if live.organization is not None:
        known.add(live.organization.management_account_id)
    for account_id, account in sorted(live.accounts.items()):
        if account_id not in known:
            observations.append(
                Observation(
                    key=f"account_unknown:{account_id}",
                    kind=DriftKind.ACCOUNT_UNKNOWN,
                    target=live.path_of(live.account_parents[account_id]) or "Root",
                    detail=f"account {account_id} ({account.name}, {account.email}) was not "
                    "created by a request",
                )
            )
    return observations, live


def _ready_accounts(before: datetime) -> list[VendedAccount]:
    """Ready accounts that were ready when the scan began: what it read is about them."""
    return list(
        VendedAccount.objects.filter(
            status=AccountStatus.READY,
            is_active=True,
            account_id__isnull=False,
            completed_at__lte=before,
        ).only("pk", "account_id", "name", "target_ou_path", "aws_created_at")
    )


def _missing(accounts: list[VendedAccount], live: LiveOrg) -> list[Observation]:
    return [
        Observation(
            key=f"account_missing:{a.account_id}",
            kind=DriftKind.ACCOUNT_MISSING,
            target=a.target_ou_path,
            detail=f"account {a.account_id} ({a.name}) is ready in the portal but AWS does not "
            "have it in the organization",
        )
        for a in accounts
        if a.account_id not in live.accounts
    ]


def _record_where_seen(accounts: list[VendedAccount], live: LiveOrg, now: datetime) -> None:
    """Each account's OU as seen now (one UPDATE per OU), or since when AWS has not had
    it; and when AWS made it, where the portal did not learn that while creating it."""
    missing: list[int] = []
    by_path: dict[str, list[int]] = {}
    for a in accounts:
        seen = live.accounts.get(a.account_id or "")
        if seen is None:
            missing.append(a.pk)
            continue
        by_path.setdefault(live.path_of(live.account_parents[seen.id]) or "", []).append(a.pk)
        if a.aws_created_at is None and seen.joined_at is not None:
            VendedAccount.objects.filter(pk=a.pk).update(aws_created_at=seen.joined_at)
    VendedAccount.objects.filter(pk__in=missing, missing_in_aws_since__isnull=True).update(
        missing_in_aws_since=now
    )
    for path, pks in by_path.items():
        VendedAccount.objects.filter(pk__in=pks).update(
            live_ou_path=path, live_seen_at=now, missing_in_aws_since=None
        )


def org_drift_scan(
    *, gateway: OrganizationsGateway | None = None, now: datetime | None = None
) -> DriftScanResult:
    now = now or timezone.now()
    scan = DriftScan.objects.create(started_at=now)
    accounts = _ready_accounts(now)
    try:
        observations, live = _observe(gateway)
    except AwsError as exc:
        # A failed scan neither raises nor resolves findings: it saw nothing.
        scan.error = str(exc)
        scan.finished_at = timezone.now()
        scan.save(update_fields=["error", "finished_at"])
        raise
    observations += _missing(accounts, live)
    result = DriftScanResult(scan=scan)
    with transaction.atomic():
        _record_where_seen(accounts, live, now)
        open_findings = {
            f.key: f
            for f in DriftFinding.objects.select_for_update().filter(resolved_at__isnull=True)
        }
        for obs in observations:
            finding = open_findings.pop(obs.key, None)
            if finding is None:
                finding = DriftFinding.objects.create(
                    key=obs.key,
                    kind=obs.kind,
                    target=obs.target,
                    detail=obs.detail,
                    first_seen=now,
                    last_seen=now,
                )
            else:
                finding.last_seen = now
                finding.times_seen += 1
                finding.detail = obs.detail
                finding.save(update_fields=["last_seen", "times_seen", "detail"])
            result.open.append(finding)
        for finding in open_findings.values():
            finding.resolved_at = now
            finding.save(update_fields=["resolved_at"])
            result.resolved.append(finding)
        scan.findings = len(observations)
        scan.finished_at = timezone.now()
        scan.save(update_fields=["findings", "finished_at"])
    return result


def account_missing_in_aws_record(*, account: VendedAccount, now: datetime | None = None) -> None:
    """AWS answered that it does not have this ready account (AccountNotFound): shown as
    missing in AWS until a drift scan finds it again."""
    if account.status != AccountStatus.READY or account.missing_in_aws_since is not None:
        return
    account.missing_in_aws_since = now or timezone.now()
    VendedAccount.objects.filter(pk=account.pk, missing_in_aws_since__isnull=True).update(
        missing_in_aws_since=account.missing_in_aws_since
    )


def org_drift_scan_request(*, actor: Actor) -> None:
    """An admin asks for a scan now: audited, queued for a worker once committed."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can start a drift scan.")
    with transaction.atomic():
        drift_scan_requested(actor=actor)
        enqueue_drift_scan()
