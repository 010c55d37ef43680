"""GET /api/v1/org/: the live OU tree, for team leads (without the management account
id), approvers and admins; anybody else is refused (403). GET /api/v1/org/plan/: the
pending blueprint changes and their impact, for admins."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vending.api.schema import errors
from vending.api.serializers import OrgTreeSerializer, StrictInputSerializer
from vending.api.views.common import current_user, parse_query
from vending.aws import get_gateway
from vending.errors import PermissionDenied
from vending.roles import is_admin
from vending.selectors.org import ORG_TREE_REFUSED, org_tree_for
from vending.services.org_blueprint import org_blueprint_plan

ORG_PLAN_REFUSED = "Only portal admins can see the pending changes to the organization."


class _NoQuery(StrictInputSerializer):
    """The tree takes no query parameters."""


class OrgTreeApi(APIView):
    @extend_schema(
        operation_id="org_retrieve",
        summary="The organization's OU tree",
        description=(
            "Read live from AWS Organizations: each OU with its path, the SCPs attached "
            "directly to it and the number of accounts directly in it. `root` is null "
            "when the AWS account is in no organization; 503 when AWS does not answer. "
            "Team leads, approvers and admins; `management_account_id` is null for team "
            "leads (approvers and admins see it); 403 for anybody else."
        ),
        responses={200: OrgTreeSerializer, **errors(400, 403, 502, 503)},
        tags=["organization"],
    )
    def get(self, request: Request) -> Response:
        parse_query(_NoQuery, request)
        tree = org_tree_for(user=current_user(request), gateway=get_gateway())
        if tree is None:
            raise PermissionDenied(ORG_TREE_REFUSED)
        return Response(OrgTreeSerializer(tree).data)


# -- GET /api/v1/org/plan/: the pending blueprint changes and whom they touch -----------


class _ChangeOut(serializers.Serializer):
    action = serializers.CharField(help_text="create_ou, update_policy, attach, detach, ...")
    target = serializers.CharField(help_text="OU path, '' for the root, 'policies', 'accounts'.")
    summary = serializers.CharField()
    diff = serializers.CharField(help_text="For update_policy: live -> blueprint, unified.")


class _ImpactGroupOut(serializers.Serializer):
    ou_path = serializers.CharField(help_text="Where the accounts are once applied.")
    from_ou_path = serializers.CharField(help_text="Where they are now (differs if moved).")
    classes = serializers.ListField(child=serializers.CharField())
    account_count = serializers.IntegerField()
    account_ids = serializers.ListField(child=serializers.CharField())
    lose = serializers.ListField(child=serializers.CharField(), help_text="IAM prefixes.")
    gain = serializers.ListField(child=serializers.CharField())
    narrowed = serializers.ListField(
        child=serializers.CharField(), help_text="Fully allowed now, only partly afterwards."
    )
    widened = serializers.ListField(child=serializers.CharField())
    sentence = serializers.CharField()


class _ImpactOut(serializers.Serializer):
    groups = _ImpactGroupOut(many=True)
    accounts_checked = serializers.IntegerField()
    simulations = serializers.IntegerField()
    notes = serializers.ListField(child=serializers.CharField())


class OrgPlanSerializer(serializers.Serializer):
    empty = serializers.BooleanField(help_text="True when the organization matches.")
    counts = serializers.DictField(child=serializers.IntegerField())
    changes = _ChangeOut(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    unmanaged_ous = serializers.ListField(child=serializers.CharField())
    impact = _ImpactOut()


class OrgPlanApi(APIView):
    @extend_schema(
        operation_id="org_plan_retrieve",
        summary="What `org apply` would change, and which accounts gain or lose services",
        description=(
            "Reads the live organization and compares it with the blueprint in force, "
            "as `manage.py org plan` does; changes nothing. `impact` groups the accounts "
            "whose services change by OU (and compliance class): each group's accounts "
            "lose, gain, keep only part of or get all of the listed IAM service prefixes, "
            "from the SCP simulator before and after. Portal admins only (403 otherwise)."
        ),
        responses={200: OrgPlanSerializer, **errors(400, 403, 502, 503)},
        tags=["organization"],
    )
    def get(self, request: Request) -> Response:
        parse_query(_NoQuery, request)
        if not is_admin(current_user(request)):
            raise PermissionDenied(ORG_PLAN_REFUSED)
        current = org_blueprint_plan(gateway=get_gateway(), with_impact=True)
        plan, impact = current.plan, current.impact
        data = {
            "empty": plan.empty,
            "counts": plan.counts(),
            "changes": [
                {"action": str(c.action), "target": c.target, "summary": c.summary, "diff": c.diff}
                for c in plan.changes
            ],
            "warnings": plan.warnings,
            "unmanaged_ous": plan.unmanaged_ous,
            "impact": {
                "groups": [
                    {**asdict(g), "account_count": g.account_count, "sentence": g.sentence()}
                    for g in impact.groups
                ],
                "accounts_checked": impact.accounts_checked,
                "simulations": impact.simulations,
                "notes": list(impact.notes),
            },
        }
        return Response(OrgPlanSerializer(data).data)
