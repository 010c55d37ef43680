"""The `placing` step: MoveAccount into the class's OU, in one call when nothing is odd.

A created account starts under the root, whose id is kept, as is the target OU's
(`org_units`): the move is one MoveAccount from the root, and the tags came with
CreateAccount. Only what is odd pays more:

- AWS answers that the account is not in the source (SourceParentNotFoundException) or
  already in the destination (DuplicateAccountException): ListParents says where it is;
  already in the target OU counts as done, anywhere else it is moved from there. An
  adopted account (found after an interrupted attempt) starts with that ListParents,
  and is tagged with TagResource: nothing says its creation carried the tags.
- AWS answers that the destination does not exist: the OU path is resolved again (the
  OU was re-created), its new id kept, and the move retried; no OU at that path fails
  the account for an admin to act on.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from vending.audit import account_moved, account_tagged
from vending.aws import OrganizationsGateway, PermanentAwsError, TransientAwsError
from vending.aws.types import ParentType
from vending.choices import AccountStatus
from vending.models import VendedAccount
from vending.naming import account_tags
from vending.services.account_access import access_sync_enqueue
from vending.services.account_setup import account_setup_on_ready
from vending.services.failure_reasons import AccountStepFailed, failure_message
from vending.services.org_units import (
    ROOT_PATH,
    org_root_id,
    org_unit_id,
    org_unit_remember,
    org_units_kept,
)
from vending.transitions import transition

# MoveAccount's answers when the account is not where the call said it is.
SOURCE_WRONG = frozenset({"SourceParentNotFoundException", "DuplicateAccountException"})
# ...and when the destination id no longer exists (moto in-process says ParentNotFound).
DESTINATION_MISSING = frozenset({"DestinationParentNotFoundException", "ParentNotFoundException"})
# Moves tried before giving the account back to the queue (each odd answer costs one).
MAX_MOVES = 3


def placement_step(account: VendedAccount, gw: OrganizationsGateway) -> None:
    """Move `account` into its OU and mark it ready."""
    assert account.account_id is not None
    kept = org_units_kept(paths=[account.target_ou_path, ROOT_PATH])
    target = kept.get(account.target_ou_path) or _target_id(account, gw, refresh=False)
    if account.adopted:
        tags = account_tags(account)
        gw.tag_resource(resource_id=account.account_id, tags=tags)
        account_tagged(account=account, tags=tags)
        source = _parent_id(account, gw)
    else:
        source = kept.get(ROOT_PATH) or org_root_id(gateway=gw)
    moved_from, target = account_move(
        account_id=account.account_id,
        source=source,
        target=target,
        ou_path=account.target_ou_path,
        gw=gw,
    )
    with transaction.atomic():  # the move's event and the status change: one commit
        if moved_from is not None:
            account_moved(account=account, from_parent_id=moved_from, to_parent_id=target)
        transition(
            account,
            to=AccountStatus.READY,
            message=f"Ready in {account.target_ou_path}.",
            # Finished: the lease ends with this write (provisioning_advance sees it).
            fields={"ou_id": target, "completed_at": timezone.now(), "lease_until": None},
        )
        account_setup_on_ready(account)  # contacts and budget, queued once committed
        access_sync_enqueue(account)  # the team's group gets in (Identity Center)


def account_move(
    *, account_id: str, source: str, target: str, ou_path: str, gw: OrganizationsGateway
) -> tuple[str | None, str]:
    """MoveAccount `account_id` from `source` into `target` (the OU at `ou_path`): one
    call when the ids are right. A wrong source is looked up (ListParents), an account
    already in the target counts as moved, a target id that no longer exists is resolved
    again. Returns the parent it was moved from (None: it was there already) and the
    target's id."""
    for _ in range(MAX_MOVES):
        if source == target:
            return None, target
        try:
            gw.move_account(
                account_id=account_id, source_parent_id=source, destination_parent_id=target
            )
        except PermanentAwsError as exc:
            if exc.code in SOURCE_WRONG:
                source = parent_id_read(account_id=account_id, gw=gw)
            elif exc.code in DESTINATION_MISSING:
                target = ou_id_required(ou_path, gw, refresh=True)
            else:
                raise
            continue
        return source, target
    # Moved by someone else at every turn: the task's retry starts the step again.
    raise TransientAwsError(
        f"{account_id} kept moving while being placed",
        code="AccountKeptMoving",
        operation="MoveAccount",
    )


def _target_id(account: VendedAccount, gw: OrganizationsGateway, *, refresh: bool) -> str:
    return ou_id_required(account.target_ou_path, gw, refresh=refresh)


def ou_id_required(ou_path: str, gw: OrganizationsGateway, *, refresh: bool = False) -> str:
    """The id of the OU at `ou_path`; AccountStepFailed when the organization has none."""
    ou_id = org_unit_id(gateway=gw, path=ou_path, refresh=refresh)
    if ou_id is None:
        raise AccountStepFailed("OU_NOT_FOUND", failure_message("OU_NOT_FOUND", ou_path=ou_path))
    return ou_id


def _parent_id(account: VendedAccount, gw: OrganizationsGateway) -> str:
    assert account.account_id is not None
    return parent_id_read(account_id=account.account_id, gw=gw)


def parent_id_read(*, account_id: str, gw: OrganizationsGateway) -> str:
    """Where the account is now (ListParents); "" when AWS names no parent."""
    parents = gw.list_parents(child_id=account_id)
    if not parents:
        return ""
    if parents[0].type == ParentType.ROOT:
        org_unit_remember(path=ROOT_PATH, ou_id=parents[0].id)
    return parents[0].id
