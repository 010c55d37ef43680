"""Identity Center's names, resolved once and kept: the instance, a group's id by its
display name, a permission set's ARN by its name.

An assignment is asked for by ids, but the blueprint names groups and permission sets.
Resolving them on every access sync cost ListInstances, GetGroupId per group, and
ListPermissionSets plus one DescribePermissionSet per permission set in the instance (a
name is only in its description): for each vended account, tens of calls in an instance
with many permission sets, against one CreateAccountAssignment. So they are kept
(`IdentityCenterName`), as the OU ids are (`org_units`), and used for
VENDING_SSO_NAMES_SECONDS; an access sync reads what it needs in one query. A name AWS
does not know is never kept (a group created later is found on the next try), and a
kept id AWS says no longer exists is forgotten with everything else of its instance
(`identity_names_forget`), so the next lookup asks AWS.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from vending.access_models import IdentityCenterName
from vending.aws.identity_center import IdentityCenterGateway, IdentityCenterInstance

INSTANCE = "instance"
GROUP = "group"
PERMISSION_SET = "permission_set"


def _fresh_since() -> datetime:
    return timezone.now() - timedelta(seconds=settings.VENDING_SSO_NAMES_SECONDS)


def _keep(kind: str, instance_arn: str, name: str, value: str, store: str = "") -> None:
    IdentityCenterName.objects.update_or_create(
        kind=kind,
        instance_arn=instance_arn,
        name=name,
        defaults={"value": value, "identity_store_id": store, "seen_at": timezone.now()},
    )


def identity_center_instance(gw: IdentityCenterGateway) -> IdentityCenterInstance | None:
    """The instance the portal manages access in: the one the settings name, else the
    first active one ListInstances names (kept); None when there is none."""
    arn = settings.VENDING_SSO_INSTANCE_ARN
    store = settings.VENDING_SSO_IDENTITY_STORE_ID
    if arn and store:
        return IdentityCenterInstance(instance_arn=arn, identity_store_id=store)
    kept = IdentityCenterName.objects.filter(
        kind=INSTANCE, seen_at__gte=_fresh_since(), **({"value": arn} if arn else {})
    ).first()
    if kept is not None:
        return IdentityCenterInstance(
            instance_arn=kept.value, identity_store_id=kept.identity_store_id
        )
    for instance in gw.list_instances():
        if (not arn or instance.instance_arn == arn) and instance.status in ("", "ACTIVE"):
            IdentityCenterName.objects.filter(kind=INSTANCE).delete()  # one is kept
            _keep(INSTANCE, "", "", instance.instance_arn, instance.identity_store_id)
            return instance
    return None


def identity_names_kept(instance_arn: str) -> tuple[dict[str, str], dict[str, str]]:
    """The group ids and permission set ARNs kept for the instance, by name, in one read."""
    groups: dict[str, str] = {}
    sets: dict[str, str] = {}
    rows = IdentityCenterName.objects.filter(
        instance_arn=instance_arn, kind__in=[GROUP, PERMISSION_SET], seen_at__gte=_fresh_since()
    ).values_list("kind", "name", "value")
    for kind, name, value in rows:
        (groups if kind == GROUP else sets)[name] = value
    return groups, sets


def group_id_resolve(
    gw: IdentityCenterGateway, instance: IdentityCenterInstance, name: str
) -> str | None:
    """The group's id from the identity store (GetGroupId), kept; None if it has none."""
    group_id = gw.find_group_id(identity_store_id=instance.identity_store_id, display_name=name)
    if group_id is not None:
        _keep(GROUP, instance.instance_arn, name, group_id)
    return group_id


def permission_sets_resolve(
    gw: IdentityCenterGateway, instance: IdentityCenterInstance
) -> dict[str, str]:
    """Every permission set of the instance, ARN by name (ListPermissionSets and a
    DescribePermissionSet each), all kept."""
    found = {p.name: p.arn for p in gw.list_permission_sets(instance_arn=instance.instance_arn)}
    now = timezone.now()
    # One upsert for them all (the names' unique constraint), not one per permission set.
    IdentityCenterName.objects.bulk_create(
        [
            IdentityCenterName(
                kind=PERMISSION_SET,
                instance_arn=instance.instance_arn,
                name=name,
                value=arn,
                seen_at=now,
            )
            for name, arn in found.items()
        ],
        update_conflicts=True,
        unique_fields=["kind", "instance_arn", "name"],
        update_fields=["value", "identity_store_id", "seen_at"],
    )
    return found


def identity_names_forget(instance_arn: str) -> None:
    """AWS said a kept id no longer exists: forget the instance and everything kept in it."""
    IdentityCenterName.objects.filter(instance_arn=instance_arn).delete()
    IdentityCenterName.objects.filter(kind=INSTANCE, value=instance_arn).delete()
