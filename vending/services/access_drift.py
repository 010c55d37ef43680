"""Access removed by hand: the Identity Center assignments the portal made that AWS no
longer lists.

Someone with Identity Center rights can delete an assignment the portal holds as
assigned (in the console, or during an incident). The periodic check asks AWS, once per
group the portal assigned (ListAccountAssignmentsForPrincipal, paginated), which
accounts and permission sets the group holds, and marks each assignment the portal
holds as assigned but AWS does not list as failed, with the reason, audited
(`access.removed`). The account's page and the API show it like any failed assignment,
and an admin gives it back with *Retry* (`access_retry`). The portal never restores it
by itself: the removal may have been deliberate.

An assignment changed in the last `SETTLE_SECONDS` is left to the next check: AWS's
lists may lag a change just made.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from vending.access_models import AccessAssignment
from vending.audit_day_two import access_changed
from vending.aws import PermanentAwsError
from vending.aws.identity_center import IdentityCenterGateway, get_identity_center
from vending.choices import AccessStatus, AccountStatus
from vending.selectors.access import identity_center_enabled
from vending.services.access_steps import GONE
from vending.services.identity_names import identity_center_instance, identity_names_forget

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 300
REMOVED_BY_HAND = (
    "Removed outside the portal: Identity Center no longer lists this assignment "
    "(checked {at:%Y-%m-%d %H:%M} UTC). An admin gives it back with Retry."
)


def access_drift_check(*, gateway: IdentityCenterGateway | None = None) -> list[int]:
    """Mark the assignments AWS no longer lists (see the module); returns their pks.
    Transient AWS errors propagate (the task is tried again)."""
    if not identity_center_enabled():
        return []
    settled = timezone.now() - timedelta(seconds=SETTLE_SECONDS)
    held = (
        AccessAssignment.objects.filter(
            status=AccessStatus.ASSIGNED,
            updated_at__lt=settled,
            account__status=AccountStatus.READY,
            account__account_id__isnull=False,
        )
        .exclude(group_id="")
        .exclude(permission_set_arn="")
        .select_related("account", "account__request__team", "account__team")
    )
    by_group: dict[str, list[AccessAssignment]] = defaultdict(list)
    for row in held:
        by_group[row.group_id].append(row)
    if not by_group:
        return []
    gw = gateway or get_identity_center()
    instance = identity_center_instance(gw)
    if instance is None:
        return []
    marked: list[int] = []
    for group_id, rows in sorted(by_group.items()):
        try:
            assignments = gw.list_assignments_of_group(
                instance_arn=instance.instance_arn, group_id=group_id
            )
        except PermanentAwsError as exc:
            if exc.code in GONE:
                # The kept instance (or a group) no longer exists: the next check and
                # the next sync look the names up again instead of using it for an hour.
                identity_names_forget(instance.instance_arn)
            raise
        listed = {(a.account_id, a.permission_set_arn) for a in assignments}
        gone = [r for r in rows if (r.account.account_id, r.permission_set_arn) not in listed]
        marked += [row.pk for row in gone if _mark(row)]
    if marked:
        logger.warning("Access removed outside the portal: %d assignment(s).", len(marked))
    return marked


def _mark(row: AccessAssignment) -> bool:
    """Failed with the reason, if it is still as the check read it (a sync that changed
    it meanwhile wins)."""
    now = timezone.now()
    with transaction.atomic():
        changed = AccessAssignment.objects.filter(
            pk=row.pk, status=AccessStatus.ASSIGNED, updated_at=row.updated_at
        ).update(
            status=AccessStatus.FAILED,
            last_error_code="RemovedOutsideThePortal",
            last_error=REMOVED_BY_HAND.format(at=now),
            last_error_at=now,
            updated_at=now,
        )
        if changed:
            access_changed(
                account=row.account,
                assigned=False,
                group=row.group,
                group_id=row.group_id,
                permission_set=row.permission_set,
                permission_set_arn=row.permission_set_arn,
                request_id="",
            )
    return bool(changed)
