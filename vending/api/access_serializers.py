"""An account's access through IAM Identity Center as the API renders it (the account's
`access`, `access_portal_url`, `access_notice`), from `selectors.access`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from vending.choices import AccessStatus
from vending.selectors.access import AccountAccessView


class AccessSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="The IdP group (its identity store display name).")
    permission_set = serializers.CharField(help_text="The Identity Center permission set.")
    status = serializers.ChoiceField(choices=AccessStatus.choices)
    last_error = serializers.CharField(
        allow_null=True, help_text="Why it failed, or the last error retried; null if none."
    )


def access_fields(view: AccountAccessView) -> dict[str, Any]:
    """The account's three access fields, as AccountSerializer declares them."""
    return {
        "access": [
            {
                "group": row.group,
                "permission_set": row.permission_set,
                "status": row.status,
                "last_error": row.last_error or None,
            }
            for row in view.rows
        ],
        "access_portal_url": view.portal_url or None,
        "access_notice": view.notice or None,
    }
