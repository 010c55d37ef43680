"""Reads of the inventory pages (accounts, organization, audit) beyond the shared selectors.

Everything here is scoped like `vending.selectors`: the scoped querysets come from there,
and what only approvers and admins may read answers nothing (or refuses) for others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from vending.aws import AwsError, OrganizationsGateway
from vending.blueprint.loader import BlueprintError
from vending.choices import ComplianceClass
from vending.compliance.simulator import (
    Decision,
    Level,
    ServiceStatus,
    ServiceSummary,
    evaluate,
    summarize_services,
)
from vending.compliance.simulator import _iam_data as iam_data
from vending.errors import PermissionDenied
from vending.models import AuditEvent, DriftFinding, DriftScan, Team, VendedAccount
from vending.roles import User, is_approver
from vending.selectors import _levels as account_levels
from vending.selectors import account_list_for, audit_event_list_for, teams_led_by
from vending.services.org_blueprint import current_blueprint
from vending.services.provisioning import account_tags

SERVICE_STATUSES: tuple[ServiceStatus, ...] = ("allowed", "partial", "denied")

# -- accounts -----------------------------------------------------------------------------


def account_inventory_for(
    *, user: User, filters: Mapping[str, Any], search: str = ""
) -> QuerySet[VendedAccount]:
    """The accounts `user` may see, filtered, matching `search` (name, e-mail or account
    id, case-insensitive), sorted by name: one query per page whatever its size."""
    qs = account_list_for(user=user, filters=filters)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(account_id__contains=search)
        )
    return qs.order_by("name", "id")


def team_choices_for(*, user: User) -> QuerySet[Team]:
    """Teams `user` may filter by: every team for approvers and admins, else those they lead."""
    if is_approver(user):
        return Team.objects.order_by("slug")
    return teams_led_by(user=user)


@dataclass(frozen=True)
class AccountTags:
    tags: dict[str, str]
    # "aws": read live from the account; "portal": the tags the portal sets on it.
    source: str
    note: str = ""


def account_tags_read(
    *, gateway: OrganizationsGateway, account: VendedAccount, live: bool = True
) -> AccountTags:
    """The account's tags, live from AWS; the portal's own tags when AWS cannot tell
    (or `live` is false: the caller already knows AWS is not answering)."""
    expected = dict(sorted(account_tags(account).items()))
    if not account.account_id:
        return AccountTags(expected, "portal", "Set on the account once it is placed in its OU.")
    if not live:
        return AccountTags(expected, "portal", "The live tags could not be read from AWS.")
    try:
        found = gateway.list_tags(resource_id=account.account_id)
    except AwsError as exc:
        return AccountTags(expected, "portal", f"AWS did not return the live tags ({exc}).")
    return AccountTags(dict(sorted(found.items())), "aws")


# -- effective policy ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    prefix: str
    name: str
    status: ServiceStatus
    allowed: int
    denied: int
    total: int
    conditional: int
    example_denial: Decision | None


@dataclass(frozen=True)
class ServicesReport:
    rows: list[ServiceRow]
    # Over every service, whatever the search: {"allowed": n, "partial": n, "denied": n}.
    counts: dict[str, int]
    total: int


def iam_service_name(prefix: str) -> str:
    try:
        return str(iam_data().services.get_service_name(prefix))
    except Exception:  # a missing name only costs a label
        return ""


def _row(summary: ServiceSummary) -> ServiceRow:
    return ServiceRow(
        prefix=summary.prefix,
        name=iam_service_name(summary.prefix),
        status=summary.status,
        allowed=summary.allowed,
        denied=summary.denied,
        total=summary.total,
        conditional=summary.conditional,
        example_denial=summary.example_denial,
    )


@dataclass(frozen=True)
class AccountPolicy:
    """The SCP levels above one account, read once from AWS, and what they allow per
    service (computed once: a fraction of a second over ~22,000 actions)."""

    account_id: str
    levels: list[Level]
    management: bool
    summaries: dict[str, ServiceSummary]

    @property
    def ou_path(self) -> str:
        return "/".join(level.name for level in self.levels if level.kind == "ou")

    @property
    def level_names(self) -> list[str]:
        return [level.name for level in self.levels]

    def services(self, *, search: str = "", status: str = "") -> ServicesReport:
        """Every IAM service as allowed / partial / denied, with counts and, for what is
        not allowed, one denied action and why; rows filtered by `search` (prefix or
        service name) and `status`."""
        counts = Counter(s.status for s in self.summaries.values())
        needle = search.strip().lower()
        rows = [
            row
            for row in (_row(s) for _, s in sorted(self.summaries.items()))
            if (not status or row.status == status)
            and (not needle or needle in row.prefix or needle in row.name.lower())
        ]
        return ServicesReport(
            rows=rows,
            counts={s: counts.get(s, 0) for s in SERVICE_STATUSES},
            total=len(self.summaries),
        )

    def explain(self, action: str) -> Decision:
        """The decision for one action, naming the level, policy and statement."""
        return evaluate(self.levels, action, management_account=self.management)


# A page reads the levels live; its search box (one request per keystroke) reuses that
# read for this long instead of making a dozen Organizations calls each time.
POLICY_REUSE_SECONDS = 120


def account_policy_read(
    *, gateway: OrganizationsGateway, account_id: str, reuse: bool = False
) -> AccountPolicy:
    """Read the levels above an account (live, unless `reuse` and a read of the last
    `POLICY_REUSE_SECONDS` is at hand). Raises `NotInOrganization` when the organization
    does not hold it, `TransientAwsError` / `PermanentAwsError` when AWS fails."""
    key = f"vending:account-policy:{account_id}"
    if reuse:
        cached = cache.get(key)
        if isinstance(cached, AccountPolicy):
            return cached
    levels, management = account_levels(gateway, account_id)
    policy = AccountPolicy(
        account_id=account_id,
        levels=levels,
        management=management,
        summaries=summarize_services(levels, management_account=management),
    )
    cache.set(key, policy, timeout=POLICY_REUSE_SECONDS)
    return policy


# -- organization -------------------------------------------------------------------------


def class_labels_by_ou_path() -> dict[str, list[str]]:
    """Which compliance classes land in each OU path (from the blueprint)."""
    try:
        classes = current_blueprint().classes
    except (BlueprintError, OSError):
        return {}
    labels = dict(ComplianceClass.choices)
    out: dict[str, list[str]] = {}
    for cls, path in classes.items():
        out.setdefault(path, []).append(str(labels.get(cls, cls)))
    return out


@dataclass(frozen=True)
class DriftReport:
    findings: list[DriftFinding]
    last_scan: DriftScan | None

    @property
    def reported_count(self) -> int:
        return sum(1 for f in self.findings if f.reported)


def drift_report_for(*, user: User) -> DriftReport | None:
    """Open drift findings, reported ones first, then most recently seen, and the last
    scan; None for anyone who is not an approver or admin."""
    if not is_approver(user):
        return None
    findings = DriftFinding.objects.filter(resolved_at__isnull=True).order_by(
        Case(When(times_seen__gte=2, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-last_seen",
        "key",
    )
    return DriftReport(
        findings=list(findings), last_scan=DriftScan.objects.order_by("-started_at").first()
    )


# -- audit trail --------------------------------------------------------------------------


def audit_event_list_newest_for(*, user: User, filters: Mapping[str, Any]) -> QuerySet[AuditEvent]:
    """The audit trail newest first (the API pages it oldest first); approvers and admins
    only: raises `PermissionDenied` for anyone else."""
    if not is_approver(user):
        raise PermissionDenied("Only approvers and admins can read the audit trail.")
    return audit_event_list_for(user=user, filters=filters).order_by("-created_at", "-id")
