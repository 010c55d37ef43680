"""Reads of vended accounts: the list (scoped, filtered, searched), one account, its
tags and its effective policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact

from vending.account_ownership import account_class_is, accounts_with_owner, owner_team_is
from vending.aws import AwsError, OrganizationsGateway
from vending.choices import AccountLiveState, AccountStatus
from vending.models import VendedAccount
from vending.naming import account_tags
from vending.roles import User
from vending.selectors.filters import filter_by
from vending.sql_lists import column_in

# The owner's team and class are columns computed per row (`accounts_with_owner`): they
# are filtered through equivalent conditions the database answers from its indexes.
OWNER_FILTERS = {"team": owner_team_is, "compliance_class": account_class_is}
ACCOUNT_FILTERS = {
    "origin": "origin",
    "environment": "environment",
    "status": "status",
    "owner": "owner__username",
    "cost_centre": "cost_centre__iexact",
}


def account_list_for(
    *, user: User, filters: Mapping[str, Any], search: str = ""
) -> QuerySet[VendedAccount]:
    """Accounts of live requests `user` may see, filtered, matching `search` (name,
    e-mail, account id, owner, cost centre or tags, case-insensitive), oldest first:
    one query per page whatever its size.

    Accounts of rejected or cancelled requests never existed in AWS and are left out.
    Each row carries `team_slug` and `account_class`: its request's, or for an account
    without a request (imported) the assigned team and the class of its OU.
    """
    qs = _accounts_matching(user=user, filters=filters, search=search)
    return accounts_with_owner(qs.select_related("request__team", "team")).order_by("id")


def account_count_for(
    *, user: User, filters: Mapping[str, Any], search: str = "", up_to: int | None = None
) -> int:
    """How many accounts `account_list_for` lists (at most `up_to`), counted without the
    joins its rows need for their team and class (a count through them reads every row's
    team)."""
    matching = _accounts_matching(user=user, filters=filters, search=search).order_by()
    return (matching[:up_to] if up_to is not None else matching).count()


def _accounts_matching(
    *, user: User, filters: Mapping[str, Any], search: str
) -> QuerySet[VendedAccount]:
    qs = VendedAccount.objects.visible_to(user).filter(is_active=True)
    qs = filter_by(qs, filters, ACCOUNT_FILTERS)
    for name, condition in OWNER_FILTERS.items():
        if filters.get(name):
            qs = qs.filter(condition(filters[name]))
    if filters.get("tag"):
        qs = qs.filter(tag_filter(str(filters["tag"])))
    search = (search or str(filters.get("search") or "")).strip()
    if search:
        qs = qs.filter(search_matches(search))
    return qs


def search_matches(search: str) -> Q:
    """Accounts whose name, e-mail, account id, owner, cost centre or tags contain
    `search` (case-insensitive but the id). On PostgreSQL each condition is one the
    trigram index `account_search` answers, the owner's through the ids of the matching
    users, so a search for a few accounts reads those (migration 0031); the planner
    still walks the list's order for a search that matches a good part of them."""
    owners = get_user_model().objects.filter(username__icontains=search).values("pk")
    return (
        Q(name__icontains=search)
        | Q(email__icontains=search)
        | Q(account_id__contains=search)
        | column_in("owner", owners)
        | Q(cost_centre__icontains=search)
        | Q(tags__icontains=search)
    )


def tag_filter(given: str) -> Q:
    """`key:value` (the value exactly) or `key` (has the tag). Keys and values may hold
    ':' themselves, so every reading of `given` is tried: `a:b:c` matches the key `a`
    with the value `b:c`, the key `a:b` with `c`, and the key `a:b:c`."""
    match = Q(tags__has_key=given)
    for i, ch in enumerate(given):
        if ch == ":" and i > 0:
            key, value = given[:i], given[i + 1 :]
            match |= Q(Exact(KeyTextTransform(key, "tags"), value))
    return match


def account_get_for(*, user: User, account_id: str) -> VendedAccount | None:
    """The account with this AWS account id, if `user` may see it."""
    return account_list_for(user=user, filters={}).filter(account_id=account_id).first()


# The columns `account_live_state` reads.
LIVE_STATE_FIELDS = (
    "status",
    "target_ou_path",
    "completed_at",
    "live_ou_path",
    "live_seen_at",
    "missing_in_aws_since",
)


def account_live_state(
    *,
    status: str,
    target_ou_path: str,
    completed_at: datetime | None,
    live_ou_path: str,
    live_seen_at: datetime | None,
    missing_in_aws_since: datetime | None,
) -> AccountLiveState:
    """Where the last drift scan saw a ready account: in its OU, in another one (moved
    by hand), or not at all (missing in AWS). A scan that began before the account was
    ready says nothing about it (it may have seen it in the root, still being placed)."""
    if status != AccountStatus.READY:
        return AccountLiveState.UNSEEN
    if missing_in_aws_since is not None:
        return AccountLiveState.MISSING
    if live_seen_at is None or completed_at is None or live_seen_at < completed_at:
        return AccountLiveState.UNSEEN
    return AccountLiveState.IN_PLACE if live_ou_path == target_ou_path else AccountLiveState.MOVED


def account_live_state_of(account: VendedAccount) -> AccountLiveState:
    return account_live_state(**{name: getattr(account, name) for name in LIVE_STATE_FIELDS})


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
    # The portal tags the accounts it creates; an imported account has only its own.
    expected = dict(sorted(account_tags(account).items())) if account.request else {}
    if not account.account_id:
        return AccountTags(expected, "portal", "Set on the account once it is placed in its OU.")
    if not live:
        return AccountTags(expected, "portal", "The live tags could not be read from AWS.")
    try:
        found = gateway.list_tags(resource_id=account.account_id)
    except AwsError as exc:
        return AccountTags(expected, "portal", f"AWS did not return the live tags ({exc}).")
    return AccountTags(dict(sorted(found.items())), "aws")
