"""Change impact: which accounts gain or lose which services if a plan is applied.

For every account the plan touches (its OU or an OU above it gets other SCPs, a policy
on its path is rewritten, or the account is moved), the SCP levels above it are built
twice: as the organization has them now, and as they will be once the blueprint is
applied. Each side goes through the one effective-policy read (`EffectivePolicy`), per
IAM service. Accounts with the same OU path before and after and the same policies
attached directly share one answer, so an organization of thousands of accounts in a
dozen OUs costs a dozen simulations, and a plan that changes no SCP costs none.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from vending.aws import OrganizationsGateway
from vending.blueprint.live import LiveOrg
from vending.blueprint.model import FULL_AWS_ACCESS, Blueprint
from vending.blueprint.plan import Action, Plan
from vending.choices import ServiceStatus
from vending.compliance.placement import FULL_AWS_ACCESS as FULL_AWS_ACCESS_POLICY
from vending.compliance.simulator import Level, Policy
from vending.selectors.policies import EffectivePolicy

# (policy name, minified content) per level, root first, the account's own level last.
_Stack = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class ImpactGroup:
    """Accounts that get the same answer: same OU path before and after, same policies
    attached directly to them."""

    ou_path: str  # where they are once applied ("" for the root)
    from_ou_path: str  # where they are now (differs when the plan moves them)
    classes: tuple[str, ...]  # compliance classes placed in `ou_path` by the blueprint
    account_ids: tuple[str, ...]
    lose: tuple[str, ...]  # services usable now (allowed or partly), denied afterwards
    gain: tuple[str, ...]  # denied now, usable afterwards
    narrowed: tuple[str, ...]  # fully allowed now, only partly afterwards
    widened: tuple[str, ...]  # partly allowed now, fully afterwards

    @property
    def account_count(self) -> int:
        return len(self.account_ids)

    @property
    def where(self) -> str:
        label = self.ou_path or "Root"
        if self.from_ou_path != self.ou_path:
            label = f"{self.from_ou_path or 'Root'} -> {label}"
        return f"{label} ({', '.join(self.classes)})" if self.classes else label

    def sentence(self) -> str:
        """E.g. "HipaaOU (hipaa): 14 accounts lose `bedrock`, gain nothing"."""
        noun = "account" if self.account_count == 1 else "accounts"
        verbs = ("loses", "gains") if self.account_count == 1 else ("lose", "gain")
        parts = [
            f"{verbs[0]} {_services(self.lose)}",
            f"{verbs[1]} {_services(self.gain)}",
        ]
        if self.narrowed:
            parts.append(f"keep only part of {_services(self.narrowed)}")
        if self.widened:
            parts.append(f"get all of {_services(self.widened)}")
        return f"{self.where}: {self.account_count} {noun} {', '.join(parts)}"


def _services(prefixes: tuple[str, ...]) -> str:
    return ", ".join(f"`{p}`" for p in prefixes) if prefixes else "nothing"


@dataclass(frozen=True)
class Impact:
    groups: tuple[ImpactGroup, ...] = ()
    # Accounts whose SCP path the plan changes (the management account is never counted:
    # SCPs do not restrict it).
    accounts_checked: int = 0
    # Distinct level stacks simulated (before and after count separately).
    simulations: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.groups


@dataclass(frozen=True)
class ImpactInputs:
    """What the live snapshot lacks: every SCP's document by policy id, and the SCPs
    attached directly to each account (by account id)."""

    documents: Mapping[str, str]
    account_policies: Mapping[str, tuple[str, ...]]


def _documents(
    gateway: OrganizationsGateway, live: LiveOrg, ids: Iterable[str], known: Mapping[str, str]
) -> dict[str, str]:
    documents = dict(known)
    for policy_id in sorted(set(ids) - set(documents)):
        documents[policy_id] = gateway.describe_policy(policy_id=policy_id).content
    return documents


def policy_documents_read(
    *, gateway: OrganizationsGateway, live: LiveOrg, ids: Iterable[str]
) -> dict[str, str]:
    """The documents of the SCPs `ids` (those in the snapshot are not read again)."""
    return _documents(gateway, live, ids, live.contents)


def account_policies_read(
    *, gateway: OrganizationsGateway, live: LiveOrg
) -> dict[str, tuple[str, ...]]:
    """SCPs attached directly to each account: one ListTargetsForPolicy per SCP, not one
    call per account."""
    found: dict[str, list[str]] = defaultdict(list)
    for summary in live.policies.values():
        for target in gateway.list_targets_for_policy(policy_id=summary.id):
            if target.type == "ACCOUNT":
                found[target.target_id].append(summary.name)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def org_plan_impact(
    *, gateway: OrganizationsGateway, blueprint: Blueprint, live: LiveOrg, plan: Plan
) -> Impact:
    """`plan_impact` with what it needs read from AWS. The accounts' own policies are
    read only when some OU's SCPs or some account's place change: a plan that touches
    no SCP and moves no account costs a DescribePolicy per attached SCP at most."""
    if plan.empty or live.organization is None or not live.scp_enabled:
        return Impact()
    attached = set().union(*live.attachments.values()) if live.attachments else set()
    inputs = ImpactInputs(_documents(gateway, live, attached, live.contents), {})
    if not affected_paths(blueprint, live, inputs) and not _destinations(plan):
        return Impact()
    accounts = account_policies_read(gateway=gateway, live=live)
    ids = {live.policies[n].id for names in accounts.values() for n in names}
    inputs = ImpactInputs(_documents(gateway, live, ids, inputs.documents), accounts)
    return plan_impact(blueprint, live, plan, inputs)


def _document(content: str) -> dict[str, Any]:
    parsed = json.loads(content)
    return parsed if isinstance(parsed, dict) else {}


def _minified(content: str) -> str:
    try:
        return json.dumps(json.loads(content), separators=(",", ":"), sort_keys=True)
    except json.JSONDecodeError:
        return content


class _Levels:
    """Builds the level stacks above an account, now and once applied."""

    def __init__(self, blueprint: Blueprint, live: LiveOrg, inputs: ImpactInputs):
        self.blueprint = blueprint
        self.live = live
        self.inputs = inputs
        self.managed = {ou.path for ou in blueprint.walk()}
        self.full_access = json.dumps(FULL_AWS_ACCESS_POLICY.document, separators=(",", ":"))

    def _live_target(self, path: str) -> tuple[tuple[str, str], ...]:
        target = self.live.root if path == "" else self.live.ous.get(path)
        ids = self.live.attachments.get(target.id, set()) if target else set()
        return tuple(
            sorted(
                (self.live.policy_name(pid), _minified(self.inputs.documents.get(pid, "")))
                for pid in ids
            )
        )

    def _planned_target(self, path: str) -> tuple[tuple[str, str], ...]:
        if path != "" and path not in self.managed:
            return self._live_target(path)  # left alone by the plan
        out = []
        for name in self.blueprint.desired_policies(path):
            content = (
                self.full_access
                if name == FULL_AWS_ACCESS
                else self.blueprint.policies[name].content
            )
            out.append((name, _minified(content)))
        return tuple(sorted(out))

    def stack(self, path: str, account: tuple[tuple[str, str], ...], *, planned: bool) -> _Stack:
        parts = [p for p in path.split("/") if p]
        targets = ["", *("/".join(parts[: i + 1]) for i in range(len(parts)))]
        read = self._planned_target if planned else self._live_target
        return (*(read(t) for t in targets), account)

    def account_level(self, account_id: str) -> tuple[tuple[str, str], ...]:
        names = self.inputs.account_policies.get(account_id, ())
        by_name = {s.name: s.id for s in self.live.policies.values()}
        return tuple(
            sorted((n, _minified(self.inputs.documents.get(by_name.get(n, ""), ""))) for n in names)
        )


def _to_levels(stack: _Stack, path: str) -> list[Level]:
    names = ["Root", *[p for p in path.split("/") if p]]
    levels = [
        Level(
            "root" if i == 0 else "ou",
            names[i],
            "",
            tuple(Policy(name=n, document=_document(c)) for n, c in level),
        )
        for i, level in enumerate(stack[:-1])
    ]
    levels.append(
        Level("account", "account", "", tuple(Policy(n, _document(c)) for n, c in stack[-1]))
    )
    return levels


class _Simulations:
    """Per-service statuses of each distinct stack, computed once."""

    def __init__(self) -> None:
        self.cache: dict[_Stack, dict[str, ServiceStatus]] = {}

    def statuses(self, stack: _Stack, path: str) -> dict[str, ServiceStatus]:
        if stack not in self.cache:
            policy = EffectivePolicy(levels=_to_levels(stack, path))
            self.cache[stack] = {p: s.status for p, s in policy.summaries.items()}
        return self.cache[stack]


def _compare(
    before: Mapping[str, ServiceStatus], after: Mapping[str, ServiceStatus]
) -> tuple[tuple[str, ...], ...]:
    lose, gain, narrowed, widened = [], [], [], []
    denied, allowed, partial = ServiceStatus.DENIED, ServiceStatus.ALLOWED, ServiceStatus.PARTIAL
    for prefix in sorted(set(before) | set(after)):
        b, a = before.get(prefix, denied), after.get(prefix, denied)
        if b == a:
            continue
        if a == denied:
            lose.append(prefix)
        elif b == denied:
            gain.append(prefix)
        elif b == allowed and a == partial:
            narrowed.append(prefix)
        else:
            widened.append(prefix)
    return tuple(lose), tuple(gain), tuple(narrowed), tuple(widened)


def _destinations(plan: Plan) -> dict[str, str]:
    return {c.account_id: c.destination for c in plan.changes if c.action == Action.MOVE_ACCOUNT}


def _classes_by_path(blueprint: Blueprint) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for cls, path in blueprint.classes.items():
        out[path].append(cls)
    return {path: tuple(sorted(classes)) for path, classes in out.items()}


def affected_paths(blueprint: Blueprint, live: LiveOrg, inputs: ImpactInputs) -> set[str]:
    """OU paths ("" for the root) whose SCP levels differ between now and once applied."""
    levels = _Levels(blueprint, live, inputs)
    targets = ["", *live.ous]
    return {t for t in targets if levels._live_target(t) != levels._planned_target(t)}


def plan_impact(blueprint: Blueprint, live: LiveOrg, plan: Plan, inputs: ImpactInputs) -> Impact:
    """Who gains or loses which services if `plan` is applied (pure: no AWS call).

    Long because it walks every account once, grouping by (path now, path once applied,
    direct policies) before simulating each group's two stacks.
    """
    if live.organization is None or not live.scp_enabled:
        return Impact()
    levels = _Levels(blueprint, live, inputs)
    moves = _destinations(plan)
    changed = affected_paths(blueprint, live, inputs)
    management = live.organization.management_account_id
    groups: dict[tuple[str, str, Any], list[str]] = defaultdict(list)
    for account_id, parent_id in live.account_parents.items():
        before = live.path_of(parent_id)
        if before is None or account_id == management:
            continue
        after = moves.get(account_id, before)
        touched = after != before or any(
            p in changed for p in _with_ancestors(before) + _with_ancestors(after)
        )
        if touched:
            groups[(before, after, levels.account_level(account_id))].append(account_id)
    simulations = _Simulations()
    found: list[ImpactGroup] = []
    notes: list[str] = []
    classes = _classes_by_path(blueprint)
    for (before, after, account), ids in sorted(groups.items(), key=lambda kv: kv[0][:2]):
        old = levels.stack(before, account, planned=False)
        new = levels.stack(after, account, planned=True)
        if old == new:
            continue
        try:
            diff = _compare(simulations.statuses(old, before), simulations.statuses(new, after))
        except (ValueError, json.JSONDecodeError) as exc:
            notes.append(f"{after or 'Root'}: {len(ids)} account(s) not simulated: {exc}")
            continue
        if any(diff):
            found.append(
                ImpactGroup(after, before, classes.get(after, ()), tuple(sorted(ids)), *diff)
            )
    return Impact(
        groups=tuple(_merge(found)),
        accounts_checked=sum(len(ids) for ids in groups.values()),
        simulations=len(simulations.cache),
        notes=tuple(notes),
    )


def _with_ancestors(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["", *("/".join(parts[: i + 1]) for i in range(len(parts)))]


def _merge(groups: Iterable[ImpactGroup]) -> list[ImpactGroup]:
    """One group per OU move and answer: accounts that differ only in their own
    (unchanged) policies but get the same answer are counted together."""
    merged: dict[tuple[Any, ...], ImpactGroup] = {}
    for g in groups:
        key = (g.ou_path, g.from_ou_path, g.lose, g.gain, g.narrowed, g.widened)
        if key in merged:
            prior = merged[key]
            merged[key] = replace(
                prior, account_ids=tuple(sorted(prior.account_ids + g.account_ids))
            )
        else:
            merged[key] = g
    return sorted(merged.values(), key=lambda g: (g.ou_path, g.from_ou_path, -g.account_count))


def render_impact(impact: Impact) -> str:
    """The impact as `org plan` and `org apply` print it."""
    if impact.empty and not impact.notes:
        return "Impact: no account gains or loses a service."
    lines = ["Impact on accounts (services by IAM prefix)"]
    lines.extend(f"  {g.sentence()}" for g in impact.groups)
    lines.extend(f"  ! {note}" for note in impact.notes)
    return "\n".join(lines)
