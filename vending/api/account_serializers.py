"""The account as the API renders it (`GET /api/v1/accounts/{account_id}/`; the list
builds the same fields from columns: `account_rows`), with what its life after creation
adds: the lease, the invitation's handshake, the expected dates of queued work."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vending.api.progress_serializers import AccountProgressSerializer
from vending.choices import AccountOrigin, AccountStatus, ComplianceClass, Environment


class AccountLifecycleSerializer(serializers.Serializer):
    """What an account's life after creation adds (also on each account of a request)."""

    origin = serializers.ChoiceField(choices=AccountOrigin.choices)
    expires_on = serializers.DateField(allow_null=True, help_text="Its lease's end, if any.")
    handshake_id = serializers.CharField(help_text="Invited accounts: the invitation.")
    handshake_state = serializers.CharField(help_text="OPEN, ACCEPTED, DECLINED, ...")
    handshake_expires_at = serializers.DateTimeField(allow_null=True)
    invite_expected_at = serializers.DateTimeField(
        allow_null=True, help_text="A queued invitation (20 a day): when it is expected out."
    )
    close_expected_on = serializers.DateField(
        allow_null=True, help_text="A decommission past the close quota: the expected date."
    )


class AccountSerializer(AccountLifecycleSerializer, AccountProgressSerializer):
    account_id = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    email = serializers.CharField()
    environment = serializers.ChoiceField(
        choices=Environment.choices, allow_blank=True, help_text="'' for an imported account."
    )
    status = serializers.ChoiceField(choices=AccountStatus.choices)
    failure_reason = serializers.SerializerMethodField()
    ou_path = serializers.CharField(source="target_ou_path")
    team = serializers.CharField(
        source="owner_team.slug", allow_null=True, help_text="Null: imported, not yet assigned."
    )
    compliance_class = serializers.ChoiceField(
        source="class_value",
        choices=ComplianceClass.choices,
        allow_null=True,
        help_text="Null: imported from an OU that maps to no class.",
    )
    request = serializers.IntegerField(
        source="request_id", allow_null=True, help_text="The request's id; null if imported."
    )
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_failure_reason(self, account: Any) -> str | None:
        return account.failure_reason or None
