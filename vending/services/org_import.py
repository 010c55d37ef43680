"""Adopting an organization built by hand: its blueprint, and its accounts in the
portal's inventory.

`org_import` reads the live organization once, builds the blueprint that reproduces it
(vending/blueprint/importer.py), proves it by parsing it and planning it against the
same snapshot (no change may remain but those it reports), and records every member
account the portal does not know yet as an imported account: no request, no team until
an admin assigns one, the class of its OU where the blueprint maps that OU to a class.
Running it again adds only accounts that are new and refreshes the OU of those it
imported before.
"""

from __future__ import annotations

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
) -> OrgImport:
    """Read the organization, build its blueprint and record its accounts (admins only;
    `actor` None is the operator's shell). The caller writes `result.text` to a file."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied("Only portal admins can import the organization.")
    live, result = org_import_read(gateway=gateway, classes=classes)
    if result.imported.missing_classes:
        return result  # nothing recorded until the blueprint is whole
    with transaction.atomic():
        _record_accounts(live, result, actor)
    return result


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
        account.team = team
        account.save(update_fields=["team", "environment", "updated_at"])
        account_team_assigned(
            actor=actor,
            account=account,
            team=team,
            previous=previous,
            previous_environment=previous_environment,
        )
        # The old team's group out, the new one's in, with the environment's sets.
        access_sync_enqueue(account)
    return account
