"""The input of `POST /api/v1/requests/` and `/preview/` for every kind of request.

Each kind takes its own fields (docs: README, "Kinds of request"). The fields' own
checks and the kind's rules (what it requires, what it does not take) are reported
together, in one answer, as every other input error of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from vending.api.metadata_serializers import (
    INVITE_METADATA_FIELDS,
    METADATA_FIELDS,
    MetadataInputFields,
)
from vending.api.serializers import (
    NOT_BLANK,
    SLUG_MESSAGE,
    SLUG_PATTERN,
    StrictInputSerializer,
)
from vending.choices import ComplianceClass, Environment, RequestKind
from vending.models import Team
from vending.selectors.teams import team_get
from vending.services.requests import JUSTIFICATION_MAX

K = RequestKind
# kind -> (fields it requires, fields it also takes). `account_id` or `email` for invite.
KIND_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    K.CREATE: (
        frozenset({"team", "compliance_class", "environments"}),
        frozenset({"expires_on"}) | METADATA_FIELDS,
    ),
    K.INVITE: (
        frozenset({"team", "compliance_class", "environment"}),
        frozenset({"account_id", "email"}) | INVITE_METADATA_FIELDS,
    ),
    K.CHANGE_CLASS: (frozenset({"account_id", "compliance_class"}), frozenset()),
    K.DECOMMISSION: (frozenset({"account_id"}), frozenset()),
    K.EXTEND: (frozenset({"account_id", "expires_on"}), frozenset()),
}
ALWAYS = frozenset({"kind", "justification"})


class RequestPreviewInputSerializer(MetadataInputFields, StrictInputSerializer):
    """What a request of any kind would do (`kind` defaults to create)."""

    kind = serializers.ChoiceField(choices=RequestKind.choices, default=RequestKind.CREATE)
    team = serializers.RegexField(
        SLUG_PATTERN,
        max_length=32,
        required=False,
        error_messages={"invalid": "Not a team slug. " + SLUG_MESSAGE},
        help_text="create, invite: the team's slug.",
    )
    compliance_class = serializers.ChoiceField(
        choices=ComplianceClass.choices,
        required=False,
        help_text="create, invite: the class; change_class: the new class.",
    )
    environments = serializers.ListField(
        child=serializers.ChoiceField(choices=Environment.choices),
        min_length=1,
        max_length=len(Environment.values),
        required=False,
        help_text="create: one account per environment.",
    )
    environment = serializers.ChoiceField(
        choices=Environment.choices, required=False, help_text="invite: the account's."
    )
    account_id = serializers.RegexField(
        r"^[0-9]{12}$",
        required=False,
        error_messages={"invalid": "An AWS account id is exactly 12 digits."},
        help_text="change_class, decommission, extend: the account; invite: or `email`.",
    )
    email = serializers.EmailField(
        max_length=64, required=False, help_text="invite: the account's root e-mail."
    )
    expires_on = serializers.DateField(
        required=False, help_text="create: when the accounts' lease ends; extend: its new end."
    )

    def validate_team(self, value: str) -> Team:
        team = team_get(slug=value)
        if team is None:
            raise serializers.ValidationError(f"There is no team '{value}'.")
        return team

    def to_internal_value(self, data: Any) -> Any:
        """The fields' errors and the kind's in one answer."""
        by_kind = self._kind_errors(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not by_kind or not isinstance(exc.detail, Mapping):
                raise
            merged: dict[str, Any] = dict(exc.detail)
            for name, messages in by_kind.items():
                merged.setdefault(name, messages)
            raise serializers.ValidationError(merged) from exc
        if by_kind:
            raise serializers.ValidationError(by_kind)
        return value

    def _kind_errors(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        kind = data.get("kind", RequestKind.CREATE)
        if not isinstance(kind, str) or kind not in KIND_FIELDS:
            return {}  # the kind field itself says so
        required, optional = KIND_FIELDS[kind]
        errors = {
            name: [f"Required for a request of kind '{kind}'."]
            for name in sorted(required)
            if name not in data
        }
        taken = required | optional | ALWAYS
        for name in sorted(set(self.fields) - taken):
            if name in data:
                errors[name] = [f"A request of kind '{kind}' does not take this field."]
        if kind == RequestKind.INVITE and ("account_id" in data) == ("email" in data):
            errors["account_id"] = ["Give the account's id or its root e-mail (one of them)."]
        return errors


class RequestCreateInputSerializer(RequestPreviewInputSerializer):
    """A new request of any kind (`kind` defaults to create)."""

    justification = serializers.RegexField(
        NOT_BLANK, max_length=JUSTIFICATION_MAX, help_text="Why it is needed."
    )


class ServiceChangeSerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text="IAM service prefix, e.g. s3.")
    before = serializers.CharField()
    after = serializers.CharField()


class LifecyclePreviewSerializer(serializers.Serializer):
    """What a request about an existing account would do."""

    kind = serializers.ChoiceField(choices=RequestKind.choices, source="plan.kind")
    account_id = serializers.CharField(source="plan.account.account_id")
    name = serializers.CharField(source="plan.account.name")
    team = serializers.CharField(source="plan.team")
    environment = serializers.CharField(source="plan.account.environment")
    origin = serializers.CharField(source="plan.account.origin")
    age_days = serializers.IntegerField(source="plan.age_days")
    current_class = serializers.CharField(source="plan.account.class_value", allow_null=True)
    current_ou_path = serializers.CharField(source="plan.account.target_ou_path")
    compliance_class = serializers.CharField(
        source="plan.compliance_class", help_text="The class it will have."
    )
    ou_path = serializers.CharField(source="plan.ou_path", help_text="Where it will be.")
    approvals_required = serializers.IntegerField(source="plan.approvals_required")
    ending = serializers.CharField(
        source="plan.ending",
        help_text="decommission: 'closed' (CloseAccount) or 'removed' (from the organization).",
    )
    services_gained = ServiceChangeSerializer(source="gained", many=True)
    services_lost = ServiceChangeSerializer(source="lost", many=True)
    services_note = serializers.CharField(allow_null=True)
    reopen_note = serializers.CharField()
    expected_on = serializers.DateField(
        allow_null=True, help_text="decommission: when the account is expected to close."
    )
    expires_on = serializers.DateField(
        source="plan.account.expires_on", allow_null=True, help_text="The lease's end now."
    )
    new_expires_on = serializers.DateField(
        source="plan.expires_on", allow_null=True, help_text="extend: the lease's new end."
    )


class InvitePreviewSerializer(serializers.Serializer):
    """What an invitation would do, and when it can be sent (20 a day)."""

    team = serializers.CharField()
    compliance_class = serializers.CharField()
    environment = serializers.CharField()
    account_id = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    ou_path = serializers.CharField(help_text="Where the account goes once it accepts.")
    approvals_required = serializers.IntegerField()
    expected_send_at = serializers.DateTimeField(
        help_text="Now, or when the day's invitations leave room for it."
    )
    invites_sent = serializers.IntegerField(help_text="Invitations sent in the last 24 hours.")
    invites_per_day = serializers.IntegerField(help_text="AWS's daily limit of invitations.")
