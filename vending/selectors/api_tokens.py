"""Reads of API tokens: a person's own, newest first."""

from __future__ import annotations

from django.db.models import QuerySet

from vending.models import ApiToken
from vending.roles import User


def api_token_list_for(*, user: User) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.visible_to(user)
        .select_related("revoked_by")
        .order_by("-created_at", "-id")
    )


def api_token_get_for(*, user: User, pk: int) -> ApiToken | None:
    return ApiToken.objects.visible_to(user).filter(pk=pk).first()
