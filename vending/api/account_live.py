"""An account as the API renders it: its record, and where AWS has it (the drift scan's
last sight: `vending.selectors.accounts.account_live_state`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from vending.api.account_serializers import AccountSerializer
from vending.choices import AccountLiveState
from vending.selectors.accounts import account_live_state_of

SEEN = (AccountLiveState.IN_PLACE, AccountLiveState.MOVED)


@extend_schema_serializer(component_name="Account")
class AccountLiveSerializer(AccountSerializer):
    aws_created_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When AWS created the account (or it joined the organization); "
        "`created_at` is when the portal recorded it.",
    )
    live_state = serializers.SerializerMethodField(
        help_text="Where the last drift scan saw a ready account: in its OU (`in_place`), in "
        "another OU (`moved`: drift), not at all (`missing_in_aws`), or not yet (`unseen`)."
    )
    live_ou_path = serializers.SerializerMethodField(
        help_text="The OU path the last drift scan saw the account in (in_place or moved)."
    )
    live_seen_at = serializers.SerializerMethodField()
    missing_in_aws_since = serializers.DateTimeField(
        allow_null=True, help_text="Since when drift scans have not found it in AWS."
    )

    @extend_schema_field(serializers.ChoiceField(choices=AccountLiveState.choices))
    def get_live_state(self, account: Any) -> str:
        return account_live_state_of(account).value

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_live_ou_path(self, account: Any) -> str | None:
        return account.live_ou_path if account_live_state_of(account) in SEEN else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_live_seen_at(self, account: Any) -> str | None:
        if account_live_state_of(account) not in SEEN:
            return None
        text: str = serializers.DateTimeField().to_representation(account.live_seen_at)
        return text
