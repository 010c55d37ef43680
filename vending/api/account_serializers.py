"""The account as the API renders it (`GET /api/v1/accounts/{account_id}/`; the list
builds the same fields from columns: `account_rows`), with what its life after creation
adds: the lease, the invitation's handshake, the expected dates of queued work."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vending.api.access_serializers import AccessSerializer, access_fields
from vending.api.metadata_serializers import AccountMetadataSerializer
from vending.api.progress_serializers import AccountProgressSerializer
from vending.choices import AccountOrigin, AccountStatus, ComplianceClass, Environment
from vending.selectors.access import account_access_read


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


class AccountSerializer(
    AccountMetadataSerializer, AccountLifecycleSerializer, AccountProgressSerializer
):
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
    access = serializers.SerializerMethodField(
        help_text="Who has access through IAM Identity Center: the team's IdP group and "
        "each permission set the blueprint maps to the account's class and environment."
    )
    access_portal_url = serializers.SerializerMethodField(
        help_text="The AWS access portal to sign in through (VENDING_SSO_START_URL); null "
        "when not configured."
    )
    access_notice = serializers.SerializerMethodField(
        help_text="Why the portal does not manage the account's access (e.g. Identity "
        "Center is not configured); null when it does."
    )

    @extend_schema_field(AccessSerializer(many=True))
    def get_access(self, account: Any) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = self._access(account)["access"]
        return value

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_access_portal_url(self, account: Any) -> str | None:
        value: str | None = self._access(account)["access_portal_url"]
        return value

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_access_notice(self, account: Any) -> str | None:
        value: str | None = self._access(account)["access_notice"]
        return value

    def _access(self, account: Any) -> dict[str, Any]:
        # The three fields come from one read per account.
        cache: dict[int, dict[str, Any]] = self.__dict__.setdefault("_access_cache", {})
        if account.pk not in cache:
            cache[account.pk] = access_fields(account_access_read(account))
        return cache[account.pk]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_failure_reason(self, account: Any) -> str | None:
        return account.failure_reason or None
