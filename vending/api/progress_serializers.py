"""How an account's provisioning goes, as the API renders it on every account (the
request's accounts, the account list and the account's own endpoint)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vending.selectors.account_progress import account_progress


class AccountErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="AWS's error code, or the portal's.")
    message = serializers.CharField(help_text="What went wrong, in words.")
    transient = serializers.BooleanField(
        allow_null=True,
        help_text="True: it may heal by itself and the portal tries again; false: a person "
        "has to act; null: not known (an unexpected error).",
    )
    at = serializers.DateTimeField()


class AccountProgressSerializer(serializers.Serializer):
    """How an account's provisioning goes (vending/selectors/account_progress.py)."""

    attempts = serializers.IntegerField(
        help_text="Tries of its provisioning that ended in an error, since it was queued "
        "(an admin's retry starts again from 0)."
    )
    last_error = serializers.SerializerMethodField()
    last_progress_at = serializers.DateTimeField(
        allow_null=True, help_text="When a step last succeeded (null: none yet)."
    )
    stalled = serializers.SerializerMethodField()
    stalled_reason = serializers.SerializerMethodField()

    @extend_schema_field(AccountErrorSerializer(allow_null=True))
    def get_last_error(self, account: Any) -> dict[str, Any] | None:
        error = account_progress(account).last_error
        return None if error is None else dict(AccountErrorSerializer(error).data)

    @extend_schema_field(
        serializers.BooleanField(
            help_text="Unfinished, and no progress for longer than the portal's limit."
        )
    )
    def get_stalled(self, account: Any) -> bool:
        return account_progress(account).stalled

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_stalled_reason(self, account: Any) -> str | None:
        return account_progress(account).stalled_reason
