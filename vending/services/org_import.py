"""Adopting an organization built by hand: its blueprint, and its accounts in the
portal's inventory.

`org_import` reads the live organization once, builds the blueprint that reproduces it
(vending/blueprint/importer.py), proves it by parsing it and planning it against the
same snapshot (no change may remain but those it reports), and records every member
account the portal does not know yet as an imported account: no request, no team until
an admin assigns one, the class of its OU where the blueprint maps that OU to a class.
Running it again adds only accounts that are new and refreshes the OU of those it
imported before.

With `tags`, an account's own `vending:team` and `vending:environment` tags give it its
team and environment (the tags the portal puts on the accounts it creates: an
organization vended by an earlier portal, or tagged by hand to the same scheme). That
costs one ListTagsForResource per account without a team, so it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from vending.audit import Actor, account_imported, account_team_assigned
from vending.aws import OrganizationsGateway, get_gateway
from vending.blueprint.importer import ImportedBlueprint, Unexpressed, blueprint_from_live
from vending.blueprint.live import LiveOrg, read_live
from vending.blueprint.loader import parse_blueprint
from vending.blueprint.model import Blueprint, Strategy
from vending.blueprint.plan import Plan, make_plan
from vending.choices import AccountOrigin, AccountStatus, Environment
from vending.errors import InvalidInput, InvalidTransition, PermissionDenied
from vending.models import Team, VendedAccount
from vending.naming import TAG_PREFIX
from vending.roles import is_admin
from vending.selectors.org_impact import account_policies_read, policy_documents_read
from vending.services.account_access import access_sync_enqueue

# read_live reads the documents of the policies a blueprint names: none here.
_EMPTY = Blueprint(
    source="(import)",
    feature_set="ALL",
    strategy=Strategy.DENY_LIST,
    policies={},
    root_policies=(),
    ous=(),
    classes={},
)


@dataclass
class OrgImport:
    organization_id: str
    imported: ImportedBlueprint
    blueprint: Blueprint | None  # None when classes are missing (the file would not load)
    plan: Plan | None  # the blueprint against the organization it was read from
    text: str  # the blueprint file
    ou_count: int = 0
    added: list[str] = field(default_factory=list)  # account ids new to the inventory
    updated: list[str] = field(default_factory=list)  # imported before, OU refreshed
    skipped: list[str] = field(default_factory=list)  # why some accounts were not recorded
    # With tags: the accounts given the team (and environment) their tags name, and why
    # a tagged account's tags were not followed.
    assigned: list[str] = field(default_factory=list)
    unassigned: list[str] = field(default_factory=list)

    @property
    def unexpressed(self) -> list[Unexpressed]:
        return self.imported.unexpressed


def _yaml(raw: dict[str, object], organization_id: str, today: date) -> str:
    header = (
        f"# The organization {organization_id} as it was on {today.isoformat()}, read by\n"
        '# `manage.py org import`: `org plan` with this file answers "no changes".\n'
        "# Policies are inline (`document:`); move them to files or to `generated:` as\n"
        "# you take the organization over. Accounts are in the portal's inventory.\n"
    )
    return header + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)


def org_import_read(
    *, gateway: OrganizationsGateway | None = None, classes: dict[str, str]
) -> tuple[LiveOrg, OrgImport]:
    """The organization's blueprint, checked; nothing is written. Raises InvalidInput
    when the AWS account is in no organization or SCPs are not enabled."""
    gw = gateway or get_gateway()
    live = read_live(gw, _EMPTY)
    if live.organization is None or live.root is None:
        raise InvalidInput("This AWS account is in no organization: there is nothing to import.")
    if not live.scp_enabled:
        raise InvalidInput(
            "Service control policies are not enabled on the organization's root; "
            "`org apply` enables them."
        )
    attached = set().union(*live.attachments.values())
    accounts = account_policies_read(gateway=gw, live=live)
    documents = policy_documents_read(gateway=gw, live=live, ids=attached)
    imported = blueprint_from_live(
        live, documents=documents, account_policies=accounts, classes=classes
    )
    text = _yaml(imported.raw, live.organization.id, date.today())
    blueprint = plan = None
    if not imported.missing_classes:
        blueprint = parse_blueprint(yaml.safe_load(text), source="(imported)", base_dir=Path.cwd())
        live.contents = {pid: documents[pid] for pid in attached if pid in documents}
        plan = make_plan(blueprint, live)
    found = OrgImport(live.organization.id, imported, blueprint, plan, text, len(live.ous))
    return live, found


def org_import(
    *,
    actor: Actor = None,
    gateway: OrganizationsGateway | None = None,
    classes: dict[str, str],
    tags: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> OrgImport:
    """Read the organization, build its blueprint and record its accounts (admins only;
    `actor` None is the operator's shell). The caller writes `result.text` to a file.
    `tags`: give accounts the team and environment their tags name; `progress(done,
    total)` is told every 100 accounts whose tags were read."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can import the organization.")
    gw = gateway or get_gateway()
    live, result = org_import_read(gateway=gw, classes=classes)
    if result.imported.missing_classes:
        return result  # nothing recorded until the blueprint is whole
    owners = _owners_tagged(gw, live, progress) if tags else {}  # no transaction open
    with transaction.atomic():
        _record_accounts(live, result, actor)
        if owners:
            _assign_tagged(owners, result, actor)
    return result


def _owners_tagged(
    gw: OrganizationsGateway, live: LiveOrg, progress: Callable[[int, int], None] | None
) -> dict[str, tuple[str, str]]:
    """The (team, environment) the `vending:` tags of each account name, for the active
    member accounts that are new or imported without a team (one ListTagsForResource
    each); accounts without a team tag are left out."""
    management = live.organization.management_account_id if live.organization else ""
    settled = set(
        VendedAccount.objects.filter(account_id__in=list(live.accounts))
        .exclude(origin=AccountOrigin.IMPORTED, team__isnull=True)
        .values_list("account_id", flat=True)
    )
    wanted = [
        account_id
        for account_id, account in sorted(live.accounts.items())
        if account_id != management and account_id not in settled and account.status == "ACTIVE"
    ]
    found: dict[str, tuple[str, str]] = {}
    for done, account_id in enumerate(wanted, 1):
        tags = gw.list_tags(resource_id=account_id)
        team = tags.get(f"{TAG_PREFIX}team", "").strip()
        if team:
            found[account_id] = (team, tags.get(f"{TAG_PREFIX}environment", "").strip())
        if progress is not None and (done % 100 == 0 or done == len(wanted)):
            progress(done, len(wanted))
    return found


def _assign_tagged(owners: dict[str, tuple[str, str]], result: OrgImport, actor: Actor) -> None:
    """Give each imported account without a team the team (and environment) its tags
    name, audited as an assignment and its access synced, as an admin's would be."""
    teams = {
        team.slug: team for team in Team.objects.filter(slug__in={t for t, _ in owners.values()})
    }
    rows = VendedAccount.objects.filter(
        account_id__in=list(owners),
        origin=AccountOrigin.IMPORTED,
        team__isnull=True,
        is_active=True,
    ).select_for_update()
    for row in rows.order_by("account_id"):
        slug, environment = owners[str(row.account_id)]
        team = teams.get(slug)
        if team is None:
            result.unassigned.append(
                f"{row.account_id}: its tag names team '{slug[:40]}', which the portal "
                "does not have"
            )
            continue
        if environment not in Environment.values:
            if environment:
                result.unassigned.append(
                    f"{row.account_id}: its environment tag '{environment[:20]}' is none of "
                    f"{', '.join(Environment.values)}; given to {slug} without one"
                )
            environment = ""
        previous_environment = row.environment
        row.environment = environment
        _team_give(row, team, actor=actor, previous=None, previous_environment=previous_environment)
        result.assigned.append(
            f"{row.account_id}: {slug}" + (f", {environment}" if environment else "")
        )


def _record_accounts(live: LiveOrg, result: OrgImport, actor: Actor) -> None:
    """New member accounts in the inventory; those imported before follow their moves."""
    class_of = {path: cls for cls, path in result.imported.classes.items()}
    management = live.organization.management_account_id if live.organization else ""
    known = {
        row[0]: row
        for row in VendedAccount.objects.filter(account_id__in=list(live.accounts))
        .select_for_update()
        .values_list("account_id", "origin", "target_ou_path")
    }
    taken = set(
        VendedAccount.objects.filter(is_active=True)
        .annotate(lower=Lower("email"))
        .values_list("lower", flat=True)
    )
    for account_id, account in sorted(live.accounts.items()):
        parent = live.account_parents[account_id]
        path = live.path_of(parent) or ""
        if account_id == management:
            result.skipped.append(f"{account_id}: the management account (never restricted)")
        elif account_id in known:
            _, origin, old_path = known[account_id]
            if origin == AccountOrigin.IMPORTED and old_path != path:
                VendedAccount.objects.filter(account_id=account_id).update(
                    target_ou_path=path, ou_id=parent, compliance_class=class_of.get(path, "")
                )
                result.updated.append(account_id)
        elif account.status != "ACTIVE":
            result.skipped.append(f"{account_id}: {account.status}, not active")
        elif account.email.lower() in taken:
            result.skipped.append(
                f"{account_id}: its e-mail {account.email} belongs to another account of the portal"
            )
        else:
            row = VendedAccount.objects.create(
                origin=AccountOrigin.IMPORTED,
                name=account.name[:50],
                email=account.email,
                account_id=account_id,
                target_ou_path=path,
                ou_id=parent,
                compliance_class=class_of.get(path, ""),
                status=AccountStatus.READY,
                # Settled from now on: the drift scan watches ready accounts from here.
                completed_at=timezone.now(),
            )
            account_imported(actor=actor, account=row, organization_id=result.organization_id)
            taken.add(account.email.lower())
            result.added.append(account_id)


def account_team_assign(
    *, actor: Actor, account_id: str, team_slug: str, environment: str | None = None
) -> VendedAccount:
    """Give an imported (or invited) account to a team and say which of the team's
    environments it is (`environment`: None keeps it, "" for none); admins only,
    audited. The environment decides which permission sets the team's group gets on it
    (the blueprint's `access:`), as for the accounts the portal creates. Accounts the
    portal created belong to their request's team and environment and cannot be
    reassigned here."""
    if actor is None or not is_admin(actor):
        raise PermissionDenied("Only portal admins can assign an account to a team.")
    team = Team.objects.filter(slug=team_slug).first()
    if team is None:
        message = f"There is no team '{team_slug[:40]}'."
        raise InvalidInput(message, field_errors={"team": [message]})
    if environment is not None and environment not in ("", *Environment.values):
        message = (
            f"There is no environment '{environment[:20]}' (one of: "
            f"{', '.join(Environment.values)}, or none)."
        )
        raise InvalidInput(message, field_errors={"environment": [message]})
    with transaction.atomic():
        account = (
            VendedAccount.objects.select_for_update()
            .filter(account_id=account_id, is_active=True)
            .first()
        )
        if account is None:
            raise InvalidInput(f"There is no account '{account_id[:40]}'.")
        if account.origin == AccountOrigin.CREATED:
            raise InvalidTransition(
                "This account was created for a request: it belongs to the request's team."
            )
        previous, previous_environment = account.team, account.environment
        if environment is not None and environment != previous_environment:
            if account.request_id is not None:
                raise InvalidTransition(
                    f"This account came with request #{account.request_id}: its environment "
                    "is the request's."
                )
            account.environment = environment
        same_team = previous is not None and previous.pk == team.pk
        if same_team and account.environment == previous_environment:
            return account  # already so: nothing to record
        _team_give(
            account, team, actor=actor, previous=previous, previous_environment=previous_environment
        )
    return account


def _team_give(
    account: VendedAccount,
    team: Team,
    *,
    actor: Actor,
    previous: Team | None,
    previous_environment: str,
) -> None:
    """Write `account`'s new team (and the environment set on it), audited; the old
    team's group loses its access, the new one's gets the environment's permission sets."""
    account.team = team
    account.save(update_fields=["team", "environment", "updated_at"])
    account_team_assigned(
        actor=actor,
        account=account,
        team=team,
        previous=previous,
        previous_environment=previous_environment,
    )
    access_sync_enqueue(account)
