"""The ids of the organization's root and blueprint OUs, kept so placing needs no lookups.

Resolving an OU path costs ListRoots plus one ListOrganizationalUnitsForParent per path
level (paged). The ids hardly ever change, so the portal keeps them
(`OrganizationalUnitRecord`): the blueprint apply and the drift scan record what they
read anyway, and a placement resolves a path only when no id is kept or when AWS
answers that the kept id no longer exists (the OU was deleted and re-created).
"""

from __future__ import annotations

from django.utils import timezone

from vending.aws import OrganizationsGateway
from vending.blueprint.live import LiveOrg
from vending.blueprint.model import Blueprint
from vending.models import OrganizationalUnitRecord

ROOT_PATH = ""


def org_unit_remember(*, path: str, ou_id: str) -> None:
    OrganizationalUnitRecord.objects.update_or_create(
        path=path, defaults={"ou_id": ou_id, "seen_at": timezone.now()}
    )


def org_units_remember_live(*, live: LiveOrg, blueprint: Blueprint) -> int:
    """Keep the root's id and every blueprint OU's id as `live` read them; forget the
    ids of blueprint OUs that no longer exist. Returns how many ids are kept."""
    if live.root is None:
        return 0
    found = {ROOT_PATH: live.root.id}
    wanted = {ou.path for ou in blueprint.walk()} | set(blueprint.classes.values())
    found.update({path: live.ous[path].id for path in wanted if path in live.ous})
    OrganizationalUnitRecord.objects.filter(path__in=wanted - set(found)).delete()
    for path, ou_id in found.items():
        org_unit_remember(path=path, ou_id=ou_id)
    return len(found)


def org_units_kept(*, paths: list[str]) -> dict[str, str]:
    """The kept ids of the OUs at `paths` (the root's at ROOT_PATH), in one read; a path
    without a kept id is missing."""
    rows = OrganizationalUnitRecord.objects.filter(path__in=paths).values_list("path", "ou_id")
    return dict(rows)


def org_root_id(*, gateway: OrganizationsGateway, refresh: bool = False) -> str:
    """The root's id: kept, else read once (ListRoots) and kept."""
    if not refresh:
        kept = _kept(ROOT_PATH)
        if kept is not None:
            return kept
    root_id = gateway.root().id
    org_unit_remember(path=ROOT_PATH, ou_id=root_id)
    return root_id


def org_unit_id(*, gateway: OrganizationsGateway, path: str, refresh: bool = False) -> str | None:
    """The id of the OU at `path`: kept, else (or with `refresh`) resolved and kept;
    None when the organization has no such OU."""
    if not path:
        return org_root_id(gateway=gateway, refresh=refresh)
    if not refresh:
        kept = _kept(path)
        if kept is not None:
            return kept
    ou = gateway.find_organizational_unit(path=path)
    if ou is None:
        OrganizationalUnitRecord.objects.filter(path=path).delete()
        return None
    org_unit_remember(path=path, ou_id=ou.id)
    return ou.id


def _kept(path: str) -> str | None:
    return (
        OrganizationalUnitRecord.objects.filter(path=path).values_list("ou_id", flat=True).first()
    )
