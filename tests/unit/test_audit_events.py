"""The typed audit events: each writer's row, the typed reader of `data` (old rows too),
and the writes that used to bypass the services (admin team creation, role changes)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from vending import audit
from vending.audit import (
    AccountAdoptedPayload,
    AccountCreateRequestedPayload,
    AccountMovedPayload,
    AccountRetriedPayload,
    AccountTaggedPayload,
    OrgChangedPayload,
    RequestApprovalAddedPayload,
    RequestSubmittedPayload,
    RoleChangedPayload,
    TeamCreatedPayload,
)
from vending.audit_reading import audit_event_payload, audit_event_summary, audit_event_target
from vending.blueprint.plan import Action, Change
from vending.choices import AccountStatus, AuditAction, RequestStatus, RoleChangeSource
from vending.errors import InvalidInput, PermissionDenied
from vending.models import AccountRequest, AuditEvent, Team, VendedAccount
from vending.roles import ADMINS_GROUP, APPROVERS_GROUP
from vending.services.provisioning import provisioning_account_retry
from vending.services.requests import account_request_approve, account_request_create
from vending.services.roles import user_role_set
from vending.transitions import transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(users, team):
    return account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="hipaa",
        environments=["prod"],
        justification="New service",
    )


@pytest.fixture
def account(request_):
    return request_.accounts.get()


def _only(action: AuditAction) -> AuditEvent:
    return AuditEvent.objects.select_related("account").get(action=action)


# -- each writer writes its row ---------------------------------------------------------


def test_team_created_keeps_the_slug_and_the_leads(users, team):
    event = audit.team_created(actor=users["admin"], team=team)
    assert (event.action, event.actor, event.team) == (
        AuditAction.TEAM_CREATED,
        users["admin"],
        team,
    )
    assert event.data == {"slug": "checkout", "leads": ["lead"]}
    assert audit_event_payload(event) == TeamCreatedPayload(slug="checkout", leads=("lead",))
    assert audit_event_summary(event) == "Team created"


def test_request_submitted_is_written_by_the_service(users, team, request_):
    event = _only(AuditAction.REQUEST_SUBMITTED)
    assert (event.actor, event.team, event.request) == (users["lead"], team, request_)
    assert event.to_status == RequestStatus.PENDING_APPROVAL
    assert event.data == {
        "kind": "create",
        "account_id": "",
        "compliance_class": "hipaa",
        "environments": ["prod"],
        "approvals_required": 2,
    }
    assert audit_event_payload(event) == RequestSubmittedPayload(
        compliance_class="hipaa", environments=("prod",), approvals_required=2
    )
    assert audit_event_summary(event) == "Submitted the request (needs 2 approvals)"


def test_request_approval_added_counts_the_approvals(users, request_):
    event = audit.request_approval_added(
        approver=users["approver1"], request=request_, comment="Checked", approvals=1
    )
    assert (event.actor, event.request, event.message) == (users["approver1"], request_, "Checked")
    assert event.data == {"approvals": 1, "required": 2}
    assert audit_event_payload(event) == RequestApprovalAddedPayload(approvals=1, required=2)
    assert audit_event_summary(event) == "Approved (1 of 2)"


def test_status_changes_are_written_by_transition(users, request_, account):
    transition(request_, to=RequestStatus.CANCELLED, actor=users["lead"], message="No need")
    event = _only(AuditAction.REQUEST_STATUS_CHANGED)
    assert (event.actor, event.request, event.account, event.message) == (
        users["lead"],
        request_,
        None,
        "No need",
    )
    assert (event.from_status, event.to_status) == ("pending_approval", "cancelled")
    assert event.data == {} and audit_event_payload(event) is None
    assert audit_event_summary(event) == "Request: Pending approval \u2192 Cancelled"

    transition(account, to=AccountStatus.FAILED, message="Gave up")
    event = _only(AuditAction.ACCOUNT_STATUS_CHANGED)
    assert (event.actor, event.team, event.request, event.account) == (
        None,
        request_.team,
        request_,
        account,
    )
    assert audit_event_summary(event) == "checkout-prod: Pending \u2192 Failed"


def test_account_events_keep_what_aws_said(account):
    tags = {"vending:team": "checkout"}
    created = audit.account_create_requested(account=account, create_request_id="car-1", tags=tags)
    found = audit.account_create_requested(account=account, create_request_id="car-2", tags=None)
    adopted = audit.account_adopted(account=account, aws_account_id="111122223333", how="found")
    moved = audit.account_moved(account=account, from_parent_id="r-1", to_parent_id="ou-1")
    tagged = audit.account_tagged(account=account, tags={"vending:team": "checkout"})
    for event in (created, adopted, moved, tagged):
        assert (event.account, event.request, event.team) == (
            account,
            account.request,
            account.request.team,
        )
        assert event.actor is None
    # The tags went with CreateAccount: the trail says so on the creation itself.
    assert created.data == {"create_request_id": "car-1", "tags": tags, "recovered": False}
    assert audit_event_payload(created) == AccountCreateRequestedPayload("car-1", tags)
    assert audit_event_summary(created) == "checkout-prod: CreateAccount requested (car-1)"
    assert audit_event_payload(found) == AccountCreateRequestedPayload("car-2", {}, True)
    assert found.message == "Found in progress after an interrupted attempt."
    assert audit_event_summary(found) == "checkout-prod: creation found in progress (car-2)"
    # Rows written before the tags were kept read back with the defaults.
    assert AccountCreateRequestedPayload.from_data({"create_request_id": "car-0"}) == (
        AccountCreateRequestedPayload("car-0", {}, False)
    )
    assert adopted.message == "Adopted AWS account 111122223333: found."
    assert audit_event_payload(adopted) == AccountAdoptedPayload(account_id="111122223333")
    assert moved.message == "Moved into HipaaOU."
    assert moved.data == {"from": "r-1", "to": "ou-1"}  # the API's keys, as before
    assert audit_event_payload(moved) == AccountMovedPayload("r-1", "ou-1")
    assert audit_event_summary(moved) == "checkout-prod: Account moved"
    assert audit_event_payload(tagged) == AccountTaggedPayload({"vending:team": "checkout"})
    assert audit_event_summary(tagged) == "checkout-prod: Account tagged"


def test_org_changed_keeps_the_plans_change(users):
    change = Change(
        action=Action.CREATE_OU, target="Root", summary="create OU Sandbox", ou_path="Sandbox"
    )
    event = audit.org_changed(actor=users["admin"], change=change)
    assert (event.actor, event.team, event.message) == (users["admin"], None, "create OU Sandbox")
    assert event.data == {
        "action": "create_ou",
        "target": "Root",
        "key": "create_ou:Sandbox",
        "ou_path": "Sandbox",
        "policy": "",
        "account_id": "",
    }
    assert audit_event_payload(event) == OrgChangedPayload(
        change="create_ou", target="Root", key="create_ou:Sandbox", ou_path="Sandbox"
    )
    assert audit_event_target(event) == "Sandbox"
    # Rows written before the OU path and SCP were kept still name the OU.
    old = AuditEvent(action=AuditAction.ORG_CHANGED, data={"target": "PciOU", "key": "x"})
    assert audit_event_target(old) == "PciOU"
    assert audit_event_summary(event) == "Organization changed"


def test_role_changed_says_whom_which_group_and_how(users):
    event = audit.role_changed(
        actor=users["admin"],
        user=users["nobody"],
        group=APPROVERS_GROUP,
        added=True,
        source=RoleChangeSource.ADMIN,
    )
    assert (event.action, event.actor) == (AuditAction.ROLE_CHANGED, users["admin"])
    assert event.message == "Added nobody to approvers (Django admin)."
    assert audit_event_payload(event) == RoleChangedPayload(
        username="nobody",
        user_id=users["nobody"].pk,
        group=APPROVERS_GROUP,
        added=True,
        source="admin",
    )
    assert audit_event_summary(event) == "Added nobody to approvers"


def test_an_admin_retry_keeps_the_failure_it_clears(users, account, task_queue):
    req = account.request
    for approver in ("approver1", "approver2"):
        account_request_approve(request=req, approver=users[approver])
    transition(account, to=AccountStatus.CREATING)
    VendedAccount.objects.filter(pk=account.pk).update(create_request_id="car-9")
    transition(
        account,
        to=AccountStatus.FAILED,
        fields={"failure_code": "ACCOUNT_LIMIT_EXCEEDED", "failure_reason": "Quota"},
    )
    AccountRequest.objects.filter(pk=req.pk).update(status=RequestStatus.FAILED)
    provisioning_account_retry(account=account, actor=users["admin"])
    event = _only(AuditAction.ACCOUNT_RETRIED)
    assert (event.actor, event.account) == (users["admin"], account)
    assert audit_event_payload(event) == AccountRetriedPayload(
        failure_code="ACCOUNT_LIMIT_EXCEEDED",
        failure_reason="Quota",
        create_request_id="car-9",
        create_attempts=0,
        from_status="failed",
    )
    account.refresh_from_db()
    assert (account.status, account.failure_code, account.create_request_id) == (
        AccountStatus.PENDING,
        "",
        None,
    )


# -- old rows read back -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data", "summary"),
    [
        (AuditAction.REQUEST_SUBMITTED, {}, "Submitted the request"),
        (
            AuditAction.REQUEST_SUBMITTED,
            {"approvals_required": 1},
            "Submitted the request (needs 1 approval)",
        ),
        (AuditAction.REQUEST_SUBMITTED, {"approvals_required": 0}, "Submitted the request"),
        (AuditAction.REQUEST_APPROVAL_ADDED, {}, "Approved"),
        (AuditAction.REQUEST_APPROVAL_ADDED, {"approvals": 1}, "Approved"),
        (AuditAction.REQUEST_APPROVAL_ADDED, {"approvals": 0, "required": 2}, "Approved (0 of 2)"),
        (AuditAction.ACCOUNT_CREATE_REQUESTED, {}, "checkout-prod: CreateAccount requested"),
        (AuditAction.TEAM_CREATED, {"slug": "x", "via": "admin"}, "checkout-prod: Team created"),
        (AuditAction.ROLE_CHANGED, {}, "checkout-prod: Role changed"),
    ],
)
def test_old_rows_missing_keys_read_back_with_defaults(account, action, data, summary):
    event = AuditEvent.objects.create(action=action, account=account, data=data)
    assert audit_event_summary(event) == summary
    payload = audit_event_payload(event)
    assert payload is not None
    assert type(payload)() == type(payload).from_data({})  # every field has a default


def test_old_rows_read_back_typed(account):
    event = AuditEvent.objects.create(
        action=AuditAction.TEAM_CREATED, data={"slug": "checkout", "leads": ["a", "b"], "via": "x"}
    )
    assert audit_event_payload(event) == TeamCreatedPayload(slug="checkout", leads=("a", "b"))
    event = AuditEvent.objects.create(action=AuditAction.REQUEST_STATUS_CHANGED, to_status="gone")
    assert audit_event_summary(event) == "Request: none \u2192 gone"


# -- role changes go through one service ------------------------------------------------


def test_user_role_set_changes_once_and_audits_once(users):
    nobody = users["nobody"]
    kwargs = {"user": nobody, "group": ADMINS_GROUP, "source": RoleChangeSource.ADMIN}
    assert user_role_set(actor=users["admin"], member=True, **kwargs) is True
    assert user_role_set(actor=users["admin"], member=True, **kwargs) is False
    assert nobody.groups.filter(name=ADMINS_GROUP).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 1
    with pytest.raises(PermissionDenied):
        user_role_set(actor=users["approver1"], member=False, **kwargs)
    with pytest.raises(InvalidInput):
        user_role_set(
            actor=None, user=nobody, group="auditors", member=True, source=RoleChangeSource.SSO
        )


# -- the Django admin goes through the services -----------------------------------------


@pytest.fixture
def admin_client(users):
    client = Client()
    client.force_login(users["admin"])  # a portal admin (group), not a superuser
    return client


def test_admin_team_creation_goes_through_team_create(admin_client, users, monkeypatch):
    import vending.admin.people

    calls = []
    real = vending.admin.people.team_create

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(vending.admin.people, "team_create", spy)
    response = admin_client.post(
        "/admin/vending/team/add/",
        {
            "slug": "search",
            "name": "Search",
            "leads": [users["lead"].pk, users["lead2"].pk],
            "idp_group": "aws-search",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get(slug="search")
    assert response["Location"] == "/admin/vending/team/"
    assert calls == [
        {
            "actor": users["admin"],
            "slug": "search",
            "name": "Search",
            "leads": ["lead", "lead2"],
            "idp_group": "aws-search",
        }
    ]
    assert team.idp_group == "aws-search"
    assert sorted(team.leads.values_list("username", flat=True)) == ["lead", "lead2"]
    event = AuditEvent.objects.get(action=AuditAction.TEAM_CREATED)
    assert (event.actor, event.team) == (users["admin"], team)
    assert audit_event_payload(event) == TeamCreatedPayload("search", ("lead", "lead2"))


def _role_events() -> list[tuple[str | None, str, str, bool, str]]:
    out = []
    for event in AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).order_by("id"):
        payload = audit_event_payload(event)
        assert isinstance(payload, RoleChangedPayload)
        actor = event.actor.get_username() if event.actor else None
        out.append((actor, payload.username, payload.group, payload.added, payload.source))
    return out


def test_admin_group_members_change_is_audited(admin_client, users):
    group = Group.objects.get(name=APPROVERS_GROUP)
    response = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": APPROVERS_GROUP, "members": [users["approver1"].pk, users["lead2"].pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(group.user_set.values_list("username", flat=True)) == ["approver1", "lead2"]
    assert _role_events() == [
        ("admin", "approver2", APPROVERS_GROUP, False, "admin"),
        ("admin", "lead2", APPROVERS_GROUP, True, "admin"),
    ]


def test_admin_other_groups_are_not_roles(admin_client, users):
    auditors = Group.objects.create(name="auditors")
    response = admin_client.post(
        f"/admin/auth/group/{auditors.pk}/change/",
        {"name": "auditors", "members": [users["lead"].pk]},
    )
    assert response.status_code == 302
    assert list(auditors.user_set.values_list("username", flat=True)) == ["lead"]
    assert _role_events() == []


def test_admin_user_groups_change_is_audited(admin_client, users):
    nobody = users["nobody"]
    auditors = Group.objects.create(name="auditors")
    approvers = Group.objects.get(name=APPROVERS_GROUP)
    now = timezone.localtime()

    def post(groups):
        return admin_client.post(
            f"/admin/auth/user/{nobody.pk}/change/",
            {
                "username": "nobody",
                "email": "nobody@example.com",
                "is_active": "on",
                "date_joined_0": now.strftime("%Y-%m-%d"),
                "date_joined_1": now.strftime("%H:%M:%S"),
                "groups": [g.pk for g in groups],
                "Team_leads-TOTAL_FORMS": "0",
                "Team_leads-INITIAL_FORMS": "0",
            },
        )

    response = post([approvers, auditors])
    assert response.status_code == 302, response.content.decode()[:3000]
    assert sorted(nobody.groups.values_list("name", flat=True)) == ["approvers", "auditors"]
    assert post([auditors]).status_code == 302
    assert list(nobody.groups.values_list("name", flat=True)) == ["auditors"]
    assert _role_events() == [
        ("admin", "nobody", APPROVERS_GROUP, True, "admin"),
        ("admin", "nobody", APPROVERS_GROUP, False, "admin"),
    ]
