import pytest

from vending.choices import AccountStatus, RequestStatus
from vending.errors import InvalidTransition
from vending.models import AuditEvent
from vending.services.requests import account_request_create
from vending.transitions import transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(users, team):
    return account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="why",
    )


def test_illegal_transition_is_refused_and_writes_nothing(request_):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition, match="pending approval; it cannot become completed"):
        transition(request_, to=RequestStatus.COMPLETED)
    request_.refresh_from_db()
    assert request_.status == RequestStatus.PENDING_APPROVAL
    assert AuditEvent.objects.count() == before


def test_stale_object_loses_the_race(request_):
    from vending.models import AccountRequest

    stale = AccountRequest.objects.get(pk=request_.pk)
    transition(request_, to=RequestStatus.APPROVED)
    # `stale` still says pending_approval, but the database decides.
    with pytest.raises(InvalidTransition):
        transition(stale, to=RequestStatus.APPROVED)
    assert AuditEvent.objects.filter(to_status=RequestStatus.APPROVED).count() == 1


def test_fields_change_only_with_the_status(request_):
    account = request_.accounts.get()
    with pytest.raises(InvalidTransition):
        transition(account, to=AccountStatus.READY, fields={"account_id": "111111111111"})
    account.refresh_from_db()
    assert account.account_id is None


def test_audit_events_are_append_only(request_):
    event = AuditEvent.objects.first()
    assert event is not None
    event.message = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().update(message="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
