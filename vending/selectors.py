"""Every read, scoped to the user asking."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from vending.models import AccountRequest, Approval, VendedAccount
from vending.roles import User, is_approver


def account_request_list_for(*, user: User) -> QuerySet[AccountRequest]:
    """Requests `user` may see: approvers and admins see all, leads their teams'."""
    qs = AccountRequest.objects.select_related("team", "requester").prefetch_related(
        Prefetch("accounts", queryset=VendedAccount.objects.order_by("id")),
        Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
    )
    if not user.is_authenticated:
        return qs.none()
    if is_approver(user):
        return qs
    return qs.filter(team__leads=user).distinct()
