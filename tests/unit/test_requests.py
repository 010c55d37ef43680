import pytest

from vending.choices import AccountStatus, AuditAction, RequestStatus
from vending.errors import DuplicateRequest, InvalidInput, InvalidTransition, PermissionDenied
from vending.models import AuditEvent
from vending.selectors.request_plans import account_request_plan
from vending.services.requests import (
    account_request_approve,
    account_request_cancel,
    account_request_create,
    account_request_reject,
)

pytestmark = pytest.mark.django_db


def make(users, team, cls="general", envs=("dev",), who="lead"):
    return account_request_create(
        requester=users[who],
        team=team,
        compliance_class=cls,
        environments=list(envs),
        justification="New service",
    )


def test_preview_shows_names_emails_ou_and_approvals(team):
    plan = account_request_plan(
        team=team, compliance_class="hipaa_pci", environments=["prod", "dev"]
    )
    assert plan.environments == ["dev", "prod"]
    assert plan.ou_path == "HipaaOU/HipaaPciOU"
    assert plan.approvals_required == 2
    assert [(a.name, a.email) for a in plan.accounts] == [
        ("checkout-dev", "aws+checkout-dev@example.com"),
        ("checkout-prod", "aws+checkout-prod@example.com"),
    ]
    assert not plan.conflicts


def test_submit_creates_one_pending_account_per_environment(users, team):
    request = make(users, team, "pci", ["dev", "test", "qa", "prod"])
    assert request.status == RequestStatus.PENDING_APPROVAL
    assert request.approvals_required == 2
    accounts = list(request.accounts.order_by("id"))
    assert [a.environment for a in accounts] == ["dev", "test", "qa", "prod"]
    assert {a.status for a in accounts} == {AccountStatus.PENDING}
    assert {a.target_ou_path for a in accounts} == {"PciOU"}
    event = AuditEvent.objects.get(request=request)
    assert event.action == AuditAction.REQUEST_SUBMITTED
    assert event.actor == users["lead"]


@pytest.mark.parametrize(
    ("cls", "envs", "required"),
    [
        ("general", ["prod"], 1),
        ("hipaa", ["dev", "test"], 1),
        ("hipaa", ["prod"], 2),
        ("pci", ["qa", "prod"], 2),
        ("hipaa_pci", ["prod"], 2),
    ],
)
def test_regulated_production_needs_two_approvals(users, team, cls, envs, required):
    assert make(users, team, cls, envs).approvals_required == required


def test_only_the_teams_leads_may_submit(users, team):
    with pytest.raises(PermissionDenied, match="Only leads of team 'checkout'"):
        make(users, team, who="lead2")
    with pytest.raises(PermissionDenied):
        make(users, team, who="approver1")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"compliance_class": "sox"}, "compliance_class"),
        ({"environments": []}, "environments"),
        ({"environments": ["dev", "staging"]}, "environments"),
        ({"environments": ["dev", "dev"]}, "environments"),
        ({"justification": "   "}, "justification"),
        ({"justification": "x" * 4001}, "justification"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(users, team, kwargs, field):
    args = {
        "requester": users["lead"],
        "team": team,
        "compliance_class": "general",
        "environments": ["dev"],
        "justification": "why",
    } | kwargs
    with pytest.raises(InvalidInput) as exc:
        account_request_create(**args)
    assert field in exc.value.field_errors
    assert not team.requests.exists()
    assert not AuditEvent.objects.exists()


def test_a_second_request_for_the_same_accounts_is_refused(users, team):
    first = make(users, team, envs=["dev", "prod"])
    with pytest.raises(DuplicateRequest, match=f"request #{first.pk}"):
        make(users, team, envs=["prod"])
    plan = account_request_plan(team=team, compliance_class="general", environments=["prod"])
    assert plan.conflicts[0].conflict_request_id == first.pk


def test_a_rejected_request_frees_its_names(users, team):
    first = make(users, team)
    account_request_reject(request=first, actor=users["approver1"], reason="Use the shared one")
    assert make(users, team).pk != first.pk


def test_one_approval_starts_provisioning(
    users, team, task_queue, django_capture_on_commit_callbacks
):
    request = make(users, team)
    task_queue.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = account_request_approve(request=request, approver=users["approver1"])
        assert task_queue.messages == []  # nothing leaves before the commit
    assert outcome.provisioning_started
    assert outcome.request.status == RequestStatus.PROVISIONING
    names = [name for name, _, _ in task_queue.messages]
    assert names.count("vending.provision_request") == 1
    statuses = list(
        AuditEvent.objects.filter(action=AuditAction.REQUEST_STATUS_CHANGED).values_list(
            "from_status", "to_status"
        )
    )
    assert statuses == [("pending_approval", "approved"), ("approved", "provisioning")]


def test_regulated_prod_waits_for_a_second_distinct_approver(users, team):
    request = make(users, team, "hipaa", ["prod"])
    first = account_request_approve(request=request, approver=users["approver1"], comment="ok")
    assert not first.provisioning_started
    assert first.approvals_missing == 1
    with pytest.raises(DuplicateRequest, match="already approved"):
        account_request_approve(request=request, approver=users["approver1"])
    assert request.approvals.count() == 1
    second = account_request_approve(request=request, approver=users["approver2"])
    assert second.provisioning_started
    assert second.request.status == RequestStatus.PROVISIONING


def test_nobody_approves_their_own_request(users, team):
    users["approver1"].led_teams.add(team)
    request = make(users, team, who="approver1")
    with pytest.raises(PermissionDenied, match="your own request"):
        account_request_approve(request=request, approver=users["approver1"])
    with pytest.raises(PermissionDenied, match="your own request"):
        account_request_reject(request=request, actor=users["approver1"], reason="no")
    assert request.approvals.count() == 0


def test_only_approvers_approve(users, team):
    request = make(users, team)
    with pytest.raises(PermissionDenied):
        account_request_approve(request=request, approver=users["nobody"])


def test_reject_needs_a_reason_and_closes_the_request(users, team):
    request = make(users, team)
    with pytest.raises(InvalidInput):
        account_request_reject(request=request, actor=users["approver1"], reason=" ")
    account_request_reject(request=request, actor=users["approver1"], reason="Not now")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.decision_reason == "Not now"
    with pytest.raises(InvalidTransition, match="rejected"):
        account_request_approve(request=request, approver=users["approver2"])


def test_cancel_is_for_the_requester_or_an_admin(users, team):
    request = make(users, team)
    with pytest.raises(PermissionDenied):
        account_request_cancel(request=request, actor=users["approver1"])
    account_request_cancel(request=request, actor=users["lead"], reason="Changed plans")
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    assert not request.accounts.filter(is_active=True).exists()
    with pytest.raises(InvalidTransition):
        account_request_cancel(request=request, actor=users["admin"])
