"""Whose an account is: its request's team, or for an account that was in the
organization before the portal (`origin` imported) the team an admin assigned.

Kept beside the models (which use it) so that every read answers the question one way:
visibility, the list's `team_slug` / `account_class` columns and the account's page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

from vending.choices import ComplianceClass
from vending.roles import User, is_approver
from vending.sql_lists import pk_in

if TYPE_CHECKING:
    from vending.models import AccountRequest, Team

_QS = TypeVar("_QS", bound=QuerySet[Any])


def owner_visible(qs: _QS, user: User) -> _QS:
    """Accounts `user` may see: all for approvers and admins; for a lead, their teams'
    (by request, or imported and assigned to the team); nothing for anybody else."""
    from vending.models import Team

    if not user.is_authenticated:
        return qs.none()
    if is_approver(user):
        return qs
    led = Team.objects.led_by(user).values("pk")
    # The two ways an account is a team's, each found by its own index (an OR across the
    # join would read every account).
    accounts = qs.model._default_manager
    of_requests = accounts.filter(request__team__in=led).order_by().values("pk")
    assigned = accounts.filter(team__in=led).order_by().values("pk")
    return qs.filter(pk_in(of_requests.union(assigned, all=True)))


def accounts_with_owner(qs: _QS) -> _QS:
    """Each row with `team_slug` and `account_class`: its request's team and class, or
    for an account without a request the assigned team and the class of its OU (None
    when that OU maps to no class)."""
    return qs.annotate(
        team_slug=Coalesce(F("request__team__slug"), F("team__slug")),
        # The account's own class first: set when it changed class after its request.
        account_class=Coalesce(
            NullIf(F("compliance_class"), Value("")), F("request__compliance_class")
        ),
    )


def owner_team_is(slug: str) -> Q:
    """`team_slug == slug` in a form the database answers from its indexes (a filter on
    the Coalesce, or an OR across the two ways, reads every account): the accounts of
    the team's requests, and those without a request assigned to the team, each found
    by its own index."""
    from vending.models import Team, VendedAccount

    team = Team.objects.filter(slug=slug).values("pk")
    of_requests = VendedAccount.objects.filter(request__team__in=team).order_by().values("pk")
    assigned = (
        VendedAccount.objects.filter(request__isnull=True, team__in=team).order_by().values("pk")
    )
    return pk_in(of_requests.union(assigned, all=True))


def account_class_is(value: str) -> Q:
    """`account_class == value` without the Coalesce: its own class, or none of its own
    and its request's."""
    from vending.models import AccountRequest

    of_request = AccountRequest.objects.filter(compliance_class=value).values("pk")
    return Q(compliance_class=value) | Q(compliance_class="", request__in=of_request)


class OwnedAccount:
    """What VendedAccount answers about its owner (templates and serializers read it)."""

    request: AccountRequest | None
    request_id: int | None
    team: Team | None
    compliance_class: str

    @property
    def owner_team(self) -> Team | None:
        """The request's team, or for an account without a request the assigned team."""
        return self.request.team if self.request_id and self.request else self.team

    @property
    def class_value(self) -> str | None:
        """The account's own class (imported: its OU's; or the class it changed to), else
        its request's (None if none)."""
        annotated = getattr(self, "account_class", None)
        if annotated is not None:
            return str(annotated)
        if self.compliance_class:  # its own: imported, or changed class since its request
            return self.compliance_class
        return (self.request.compliance_class if self.request else "") or None

    @property
    def class_label(self) -> str:
        value = self.class_value
        return str(ComplianceClass(value).label) if value else ""
