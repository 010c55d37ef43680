"""The effective-policy endpoint's serializers: the action asked about, and the
simulator's answers (one action, or every service summarised)."""

from __future__ import annotations

from rest_framework import serializers

from vending.api.serializers import ACTION_MESSAGE, ACTION_PATTERN, StrictInputSerializer
from vending.choices import SERVICE_STATUSES


class EffectivePolicyQuerySerializer(StrictInputSerializer):
    """The action to decide, if any."""

    action = serializers.RegexField(
        ACTION_PATTERN,
        max_length=256,
        error_messages={"invalid": ACTION_MESSAGE},
        required=False,
        help_text="An IAM action such as s3:GetObject (wildcards allowed). Without it, "
        "the answer summarises every service.",
    )

    def validate_action(self, value: str) -> str:
        from vending.compliance.simulator import validate_action

        try:
            return validate_action(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class StatementRefSerializer(serializers.Serializer):
    level = serializers.CharField(
        help_text="Where the policy is attached (root, an OU, the account)."
    )
    policy = serializers.CharField()
    statement = serializers.CharField(
        help_text="The statement's Sid, or #<index> when it has none."
    )
    effect = serializers.ChoiceField(choices=("Allow", "Deny"))
    depends_on = serializers.ListField(
        child=serializers.ChoiceField(choices=("resource", "condition")),
        help_text="Empty when it applies to every request of the action; else what its "
        "applying depends on.",
    )


class ActionDecisionSerializer(serializers.Serializer):
    action = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=("allowed", "denied", "depends"),
        source="decision",
        help_text="allowed: every request; denied: every request (see kind); depends: on "
        "the resource or a condition (see statements).",
    )
    kind = serializers.ChoiceField(
        choices=("explicit", "implicit"),
        allow_null=True,
        help_text="For denied: explicit (a Deny applies to every request) or implicit (a "
        "level has no Allow that applies). Null otherwise.",
    )
    decision = serializers.ChoiceField(
        choices=("allowed", "explicit_deny", "implicit_deny"),
        source="legacy_decision",
        help_text="Deprecated, kept for existing clients: outcome in the old vocabulary, "
        "where depends reads allowed with conditional true. Use outcome and kind.",
    )
    level = serializers.CharField(
        allow_null=True, help_text="The level that decided (root, an OU or the account)."
    )
    policy = serializers.CharField(allow_null=True)
    statement = serializers.CharField(
        allow_null=True, help_text="The statement's Sid, or #<index> when it has none."
    )
    conditional = serializers.BooleanField(
        help_text="Deprecated: true exactly when outcome is depends."
    )
    reason = serializers.CharField()
    statements = StatementRefSerializer(
        many=True,
        help_text="The statements that decide: the Deny for explicit, those a depends "
        "answer hangs on; empty for allowed and implicit.",
    )


class ServiceSummarySerializer(serializers.Serializer):
    account_id = serializers.CharField()
    ou_path = serializers.CharField()
    services = serializers.DictField(child=serializers.ChoiceField(choices=SERVICE_STATUSES))
    action_counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="Per service prefix: {allowed, depends, denied, total} actions.",
    )
