"""Reads of the organization: the live OU tree, the class -> OU mapping, drift."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When
from django.template.defaultfilters import pluralize

from vending.aws import OrganizationsGateway
from vending.aws.gateway import SCP
from vending.blueprint.current import current_blueprint
from vending.blueprint.loader import BlueprintError
from vending.choices import ComplianceClass
from vending.compliance.catalog import CatalogError, load_catalog
from vending.models import DriftFinding, DriftScan, Team
from vending.roles import User, is_approver

# The root and at most 5 nested OUs (AWS quota); deeper is a loop in what AWS answered.
_MAX_OU_DEPTH = 6


@dataclass(frozen=True)
class OrgPolicyRef:
    id: str
    name: str


@dataclass
class OrgNode:
    id: str
    name: str
    path: str
    policies: list[OrgPolicyRef]
    account_count: int
    children: list[OrgNode] = field(default_factory=list)


@dataclass(frozen=True)
class OrgTree:
    organization_id: str | None
    management_account_id: str | None
    root: OrgNode | None


def org_tree_read(*, gateway: OrganizationsGateway) -> OrgTree:
    """The live OU tree with the SCPs attached to each node and its direct accounts."""
    org = gateway.describe_organization()
    if org is None:
        return OrgTree(None, None, None)
    root = gateway.root()
    with_scps = SCP in root.enabled_policy_types

    def node(target_id: str, name: str, path: str, depth: int) -> OrgNode:
        policies = (
            [
                OrgPolicyRef(p.id, p.name)
                for p in gateway.list_policies_for_target(target_id=target_id)
            ]
            if with_scps
            else []
        )
        ous = (
            gateway.list_organizational_units(parent_id=target_id) if depth < _MAX_OU_DEPTH else []
        )
        return OrgNode(
            id=target_id,
            name=name,
            path=path,
            policies=sorted(policies, key=lambda p: (p.name, p.id)),
            account_count=len(gateway.list_accounts_for_parent(parent_id=target_id)),
            children=[
                node(ou.id, ou.name, f"{path}/{ou.name}" if path else ou.name, depth + 1)
                for ou in sorted(ous, key=lambda ou: (ou.name, ou.id))
            ],
        )

    return OrgTree(org.id, org.management_account_id, node(root.id, root.name or "Root", "", 0))


ORG_TREE_REFUSED = (
    "The organization's OU tree is for team leads, approvers and admins. Ask a platform "
    "admin to add you as a lead of your team if you request accounts for it."
)


def org_tree_for(*, user: User, gateway: OrganizationsGateway) -> OrgTree | None:
    """The OU tree as `user` may see it, or None if they may not see it at all (the caller
    answers 403 with `ORG_TREE_REFUSED`; AWS is not asked).

    Approvers and admins: all of it. Team leads: the OUs, their SCPs and account counts
    (what a compliance class means, to choose one) and the organization id (resource
    policies name it in `aws:PrincipalOrgID`), without the management account id, which
    nobody needs to request or use an account. Anybody else: nothing.
    """
    if is_approver(user):
        return org_tree_read(gateway=gateway)
    if not Team.objects.led_by(user).exists():
        return None
    return replace(org_tree_read(gateway=gateway), management_account_id=None)


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
    # The last scan that finished without error: without one, "no drift" means nothing.
    last_completed: DriftScan | None = None
    # How often the scheduler runs a scan (the beat schedule), in words: "15 minutes".
    interval: str = ""

    @property
    def reported_count(self) -> int:
        return sum(1 for f in self.findings if f.reported)


def drift_scan_interval() -> str:
    """The beat schedule's interval of the drift scan, in words ("" when not scheduled)."""
    entry = settings.CELERY_BEAT_SCHEDULE.get("org-drift-scan", {})
    schedule = entry.get("schedule")
    seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else schedule
    if not isinstance(seconds, int | float) or seconds <= 0:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    if rest or not minutes:
        return f"{int(seconds)} second{pluralize(int(seconds))}"
    hours, rest = divmod(minutes, 60)
    if hours and not rest:
        return f"{hours} hour{pluralize(hours)}"
    return f"{minutes} minute{pluralize(minutes)}"


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
    last_scan = DriftScan.objects.order_by("-started_at").first()
    completed = last_scan
    if completed is not None and (completed.finished_at is None or completed.error):
        completed = (
            DriftScan.objects.filter(finished_at__isnull=False, error="")
            .order_by("-started_at")
            .first()
        )
    return DriftReport(
        findings=list(findings),
        last_scan=last_scan,
        last_completed=completed,
        interval=drift_scan_interval(),
    )


# `manage.py compliance catalog` fails past this age; the page says so too.
CATALOG_MAX_AGE_DAYS = 90


@dataclass(frozen=True)
class CatalogAge:
    taken_on: date  # the oldest source's: the catalog is as old as its oldest fact
    oldest_page: date  # the oldest source page's own date
    age_days: int
    sources: int

    @property
    def stale(self) -> bool:
        return self.age_days > CATALOG_MAX_AGE_DAYS


def catalog_age(*, today: date | None = None) -> CatalogAge | None:
    """How old the compliance catalog behind the class SCPs is; None if unreadable."""
    try:
        catalog = load_catalog()
    except CatalogError:
        return None
    today = today or date.today()
    return CatalogAge(
        taken_on=catalog.taken_on,
        oldest_page=min(s.page_updated for s in catalog.sources),
        age_days=catalog.age_days(today),
        sources=len(catalog.sources),
    )
