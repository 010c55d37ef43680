"""Input serializers (validate only) and output serializers (render only) of the API.

Inputs reject unknown fields: a typo such as `enviroments` must fail loudly, not be
ignored. Outputs read the models (or the services' dataclasses) and decide nothing.
Component names in the OpenAPI schema come from the class names, so they are unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vending.api.account_serializers import AccountLifecycleSerializer
from vending.api.errors import ERROR_CODE_VALUES
from vending.api.metadata_serializers import (
    MetadataPreviewSerializer,
    RequestMetadataSerializer,
    budget_of,
)
from vending.api.progress_serializers import AccountProgressSerializer
from vending.choices import (
    SERVICE_STATUSES,
    AccountOrigin,
    AccountStatus,
    AuditAction,
    ComplianceClass,
    Environment,
    RequestKind,
    RequestStatus,
)

TEXT_MAX = 4000
USERNAME_MAX = 150
# The same rules as the model's slug validator and the simulator's action check, written
# for the schema too, so generated clients send what the API accepts.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"
ACTION_PATTERN = r"^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+$"
NOT_BLANK = r"\S"
SLUG_MESSAGE = (
    "Use 1-32 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
)
ACTION_MESSAGE = (
    "Not an IAM action; expected 'service-prefix:ActionName', for example 's3:GetObject' "
    "or 'ec2:Describe*'."
)


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not declare, and anything that is not a JSON object."""

    def to_internal_value(self, data: Any) -> Any:
        """Every field's errors in one answer: the unknown fields' beside the others'."""
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            unknown = {
                str(k): ["Unknown field: this API does not take it."]
                for k in sorted(data, key=str)
                if k not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not unknown or not isinstance(exc.detail, Mapping):
                raise
            raise serializers.ValidationError({**unknown, **exc.detail}) from exc
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


# -- errors ------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=ERROR_CODE_VALUES, help_text="Stable, machine-readable reason."
    )
    message = serializers.CharField(help_text="What went wrong, for a person to act on.")
    # DRF's metaclass moves declared fields off the class, so this does not shadow
    # Serializer.fields at run time; mypy only sees the class body.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (empty when no field is to blame).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# -- teams -------------------------------------------------------------------------------


class TeamSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    leads = serializers.SerializerMethodField(help_text="Usernames of the team's leads.")
    idp_group = serializers.CharField(
        help_text="The team's group in the identity provider, given access to its accounts "
        "through IAM Identity Center ('': the blueprint's group_template with the slug)."
    )

    def get_leads(self, team: Any) -> list[str]:
        return sorted(user.get_username() for user in team.leads.all())


class TeamCreateInputSerializer(StrictInputSerializer):
    """A new team and its leads."""

    slug = serializers.RegexField(
        SLUG_PATTERN,
        max_length=32,
        error_messages={"invalid": SLUG_MESSAGE},
        help_text="1-32 lowercase letters, digits and hyphens.",
    )
    name = serializers.CharField(max_length=100)
    leads = serializers.ListField(
        child=serializers.CharField(max_length=USERNAME_MAX),
        default=list,
        max_length=100,
        help_text="Usernames of existing users.",
    )
    idp_group = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="The team's IdP group (Identity Center); empty: the blueprint's "
        "group_template with the slug.",
    )


# -- requests ----------------------------------------------------------------------------


class RequestApproveInputSerializer(StrictInputSerializer):
    """An approval, with an optional comment."""

    comment = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, default="")


class RequestRejectInputSerializer(StrictInputSerializer):
    """A rejection and its reason."""

    reason = serializers.RegexField(
        NOT_BLANK, max_length=TEXT_MAX, help_text="Shown to the requester."
    )


class RequestCancelInputSerializer(StrictInputSerializer):
    """A cancellation, with an optional reason."""

    reason = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, default="")


class RequestListFilterSerializer(StrictInputSerializer):
    """Filters of the request list."""

    team = serializers.CharField(max_length=32, required=False, help_text="A team's slug.")
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)


class ApprovalSerializer(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class RequestAccountSerializer(AccountLifecycleSerializer, AccountProgressSerializer):
    environment = serializers.ChoiceField(choices=Environment.choices)
    name = serializers.CharField()
    email = serializers.CharField()
    account_id = serializers.CharField(allow_null=True, help_text="Null until AWS created it.")
    ou_path = serializers.CharField(source="target_ou_path", help_text="e.g. HipaaOU/HipaaPciOU")
    status = serializers.ChoiceField(choices=AccountStatus.choices)
    failure_reason = serializers.SerializerMethodField()
    budget = serializers.SerializerMethodField(help_text="Its monthly budget (USD), if any.")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_failure_reason(self, account: Any) -> str | None:
        return account.failure_reason or None

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_budget(self, account: Any) -> dict[str, Any] | None:
        return budget_of(account.budget_amount, account.budget_status, account.budget_error)


class AccountRequestSerializer(RequestMetadataSerializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    account_id = serializers.CharField(
        source="target_account.account_id", allow_null=True, help_text="Kinds on an account."
    )
    team = serializers.CharField(source="team.slug")
    requester = serializers.CharField(source="requester.username")
    compliance_class = serializers.ChoiceField(choices=ComplianceClass.choices)
    environments = serializers.ListField(child=serializers.ChoiceField(Environment.choices))
    justification = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    approvals_required = serializers.IntegerField()
    approvals = ApprovalSerializer(many=True)
    eligible_approvers = serializers.IntegerField(
        source="eligible_approver_count",
        help_text="How many may still approve it (approvers who neither submitted it, lead "
        "its team nor approved it yet); 0 once it no longer waits for approval.",
    )
    decision_reason = serializers.CharField(
        help_text="Why it was rejected or cancelled, or why it failed."
    )
    expires_on = serializers.DateField(
        allow_null=True,
        help_text="create: the accounts' lease; extend: the lease's new end (else null).",
    )
    accounts = RequestAccountSerializer(many=True, help_text="The accounts it creates or invites.")
    target_account = RequestAccountSerializer(
        allow_null=True,
        help_text="change_class, decommission, extend: the account it is about, as it is now.",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PlannedAccountSerializer(serializers.Serializer):
    environment = serializers.ChoiceField(choices=Environment.choices)
    name = serializers.CharField()
    email = serializers.CharField()
    ou_path = serializers.CharField()
    conflict_request_id = serializers.IntegerField(
        allow_null=True, help_text="The live request that already holds this name or e-mail."
    )


class RequestPreviewSerializer(serializers.Serializer):
    team = serializers.CharField()
    compliance_class = serializers.ChoiceField(choices=ComplianceClass.choices)
    environments = serializers.ListField(child=serializers.ChoiceField(Environment.choices))
    ou_path = serializers.CharField()
    approvals_required = serializers.IntegerField()
    accounts = PlannedAccountSerializer(many=True)
    services = serializers.DictField(
        child=serializers.ChoiceField(choices=SERVICE_STATUSES),
        allow_null=True,
        help_text="What the SCPs of the OU let the new accounts use, per IAM service "
        "prefix; null when the organization could not be read (see services_note).",
    )
    services_note = serializers.CharField(allow_null=True)
    metadata = serializers.SerializerMethodField(
        help_text="Owner, cost centre, tags, contacts and budgets the accounts will carry."
    )

    @extend_schema_field(MetadataPreviewSerializer)
    def get_metadata(self, preview: Any) -> dict[str, Any] | None:
        meta = self.context.get("metadata")
        if meta is None:
            return None
        context = {
            "compliance_class": preview.compliance_class,
            "environments": preview.environments,
        }
        return dict(MetadataPreviewSerializer(meta, context=context).data)


# -- accounts ----------------------------------------------------------------------------


class AccountListFilterSerializer(StrictInputSerializer):
    """Filters of the account list."""

    team = serializers.CharField(max_length=32, required=False, help_text="A team's slug.")
    compliance_class = serializers.ChoiceField(choices=ComplianceClass.choices, required=False)
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    status = serializers.ChoiceField(choices=AccountStatus.choices, required=False)
    origin = serializers.ChoiceField(choices=AccountOrigin.choices, required=False)
    owner = serializers.CharField(max_length=150, required=False, help_text="A username.")
    cost_centre = serializers.CharField(max_length=64, required=False)
    tag = serializers.CharField(
        max_length=400,
        required=False,
        help_text="key:value (the value exactly), or key (accounts that have the tag); the "
        "requested tags, not the portal's `vending:` ones.",
    )
    search = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Name, e-mail, account id, owner, cost centre or tags (case-insensitive).",
    )


# -- organization ------------------------------------------------------------------------


class OrgPolicySerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class OrgNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    path = serializers.CharField(help_text="OU names from the root joined by '/'; '' for it.")
    policies = OrgPolicySerializer(many=True, help_text="SCPs attached directly.")
    account_count = serializers.IntegerField(help_text="Accounts directly in it.")


# The tree nests itself: declared after the class so the field can name it.
OrgNodeSerializer._declared_fields["children"] = OrgNodeSerializer(many=True)


class OrgTreeSerializer(serializers.Serializer):
    organization_id = serializers.CharField(allow_null=True)
    management_account_id = serializers.CharField(allow_null=True)
    root = OrgNodeSerializer(allow_null=True)


# -- audit -------------------------------------------------------------------------------


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(
        source="actor.username", allow_null=True, help_text="Null when the portal acted."
    )
    action = serializers.ChoiceField(choices=AuditAction.choices)
    team = serializers.CharField(source="team.slug", allow_null=True)
    request = serializers.IntegerField(source="request_id", allow_null=True)
    account = serializers.CharField(source="account.name", allow_null=True)
    account_id = serializers.CharField(source="account.account_id", allow_null=True)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    message = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]  # see ErrorDetailSerializer


class AuditEventFilterSerializer(StrictInputSerializer):
    """Filters of the audit trail."""

    team = serializers.CharField(max_length=32, required=False, help_text="A team's slug.")
    request = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    action = serializers.ChoiceField(choices=AuditAction.choices, required=False)
    actor = serializers.CharField(max_length=USERNAME_MAX, required=False)
    since = serializers.DateTimeField(required=False, help_text="Events at or after this time.")
    until = serializers.DateTimeField(required=False, help_text="Events before this time.")
