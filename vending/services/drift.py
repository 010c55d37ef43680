"""Drift: where the live organization differs from the blueprint or the portal's records.

Each scan compares the live organization with the blueprint (the same plan `org plan`
prints) and lists accounts in the organization that no request created. Findings are
kept with first/last seen; one seen in two consecutive scans is reported, so a change
still in flight (an account being moved right now) is not an alarm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from vending.aws import AwsError, OrganizationsGateway
from vending.blueprint.plan import Action
from vending.choices import DriftKind
from vending.models import DriftFinding, DriftScan, VendedAccount
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


def _observe(gateway: OrganizationsGateway | None) -> list[Observation]:
    current = org_blueprint_plan(gateway=gateway)
    # The scan reads every OU anyway: keep their ids fresh for placing accounts.
    org_units_remember_live(live=current.live, blueprint=current.blueprint)
    observations = [
        Observation(
            key=change.key,
            kind=KIND_OF_CHANGE[change.action],
            target=change.ou_path or change.target,
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
    return observations


def org_drift_scan(
    *, gateway: OrganizationsGateway | None = None, now: datetime | None = None
) -> DriftScanResult:
    now = now or timezone.now()
    scan = DriftScan.objects.create(started_at=now)
    try:
        observations = _observe(gateway)
    except AwsError as exc:
        # A failed scan neither raises nor resolves findings: it saw nothing.
        scan.error = str(exc)
        scan.finished_at = timezone.now()
        scan.save(update_fields=["error", "finished_at"])
        raise
    result = DriftScanResult(scan=scan)
    with transaction.atomic():
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
