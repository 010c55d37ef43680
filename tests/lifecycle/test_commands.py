"""The operator commands of every kind of request: `request_invite`, `request_change`,
`request_create --expires-on` and what `request_status` shows of an account's life after
creation. They call the services the API calls; bad input is a CommandError naming the
option, and nothing is written."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from vending.choices import AccountOrigin, AccountStatus, RequestKind, RequestStatus
from vending.models import AccountRequest, VendedAccount

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def request_id(output: str) -> int:
    """How scripts read it (the README's `sed`): "Request #N submitted ..."."""
    first = output.splitlines()[0]
    assert first.startswith("Request #") and " submitted: " in first, output
    return int(first.split("#", 1)[1].split()[0])


def status_json(pk: int) -> dict:
    return json.loads(run("request_status", str(pk), "--json"))


def refused(*args: str, match: str) -> None:
    before = AccountRequest.objects.count()
    with pytest.raises(CommandError, match=match):
        run(*args)
    assert AccountRequest.objects.count() == before


INVITE = ("request_invite", "--as", "lead", "--team", "checkout", "--class", "hipaa", "--env")


def test_request_invite_submits_and_status_shows_the_invited_account(users, team):
    out = run(*INVITE, "dev", "--account-id", "111122223333", "--justification", "Legacy")
    pk = request_id(out)
    assert "1 approval(s) needed" in out and "HipaaOU once it accepts" in out
    shown = status_json(pk)
    assert shown["kind"] == RequestKind.INVITE and shown["status"] == "pending_approval"
    (account,) = shown["accounts"]
    assert account["origin"] == AccountOrigin.INVITED
    assert account["account_id"] == "111122223333" and account["status"] == "pending"
    for field in ("handshake_id", "handshake_state", "handshake_expires_at", "invite_expected_at"):
        assert field in account
    text = run("request_status", str(pk))
    assert "(invite an existing account, checkout" in text and "origin invited" in text


def test_request_invite_by_email_and_its_preview(users, team):
    preview = run(*INVITE, "qa", "--email", "legacy@example.com", "--preview")
    assert preview.startswith("Invitation of legacy@example.com for team checkout (qa, hipaa)")
    assert "can be sent" in preview and AccountRequest.objects.count() == 0
    pk = request_id(run(*INVITE, "qa", "--email", "legacy@example.com", "--justification", "J"))
    assert VendedAccount.objects.get(request_id=pk).email == "legacy@example.com"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("dev", "--account-id", "12345", "--justification", "J"), "--account-id: An AWS account"),
        (("dev", "--email", "not-an-email", "--justification", "J"), "--email: Enter a valid"),
        (("dev", "--account-id", "111122223333"), "--justification"),
        (("dev", "--account-id", "111122223333", "--justification", "  "), "--justification"),
    ],
)
def test_request_invite_refuses_bad_input(users, team, args, match):
    refused(*INVITE, *args, match=match)


def test_request_invite_refuses_a_team_that_does_not_exist_and_a_non_lead(users, team):
    refused(
        "request_invite",
        "--as",
        "lead",
        "--team",
        "nope",
        "--class",
        "general",
        "--env",
        "dev",
        "--account-id",
        "111122223333",
        "--justification",
        "J",
        match="--team: There is no team 'nope'",
    )
    refused(
        "request_invite",
        "--as",
        "approver1",
        "--team",
        "checkout",
        "--class",
        "general",
        "--env",
        "dev",
        "--account-id",
        "111122223333",
        "--justification",
        "J",
        match="Only leads of team 'checkout'",
    )


def test_request_invite_needs_one_of_account_id_and_email(users, team):
    # argparse's own refusal (a mutually exclusive, required group).
    with pytest.raises(CommandError, match="one of the arguments --account-id --email"):
        run(*INVITE, "dev", "--justification", "J")
    with pytest.raises(CommandError, match="not allowed with argument"):
        run(*INVITE, "dev", "--account-id", "111122223333", "--email", "a@example.com")


def ready(users, team, *, env: str = "dev", expires_in: int | None = None) -> VendedAccount:
    """A ready account of team checkout, as provisioning leaves it (no AWS needed for
    the commands' checks)."""
    request = AccountRequest.objects.create(
        team=team,
        requester=users["lead"],
        compliance_class="general",
        environments=[env],
        justification="Launch",
        status=RequestStatus.COMPLETED,
    )
    expires_on = timezone.localdate() + timedelta(days=expires_in) if expires_in else None
    return VendedAccount.objects.create(
        request=request,
        environment=env,
        name=f"checkout-{env}",
        email=f"checkout-{env}@example.com",
        account_id=f"{abs(hash(env)) % 10**12:012d}",
        target_ou_path="GeneralOU",
        status=AccountStatus.READY,
        expires_on=expires_on,
    )


CHANGE = ("request_change", "--as", "lead")


def test_request_change_decommission_and_status_shows_the_target_account(users, team):
    account = ready(users, team)
    out = run(
        *CHANGE,
        "--kind",
        "decommission",
        "--account",
        account.account_id,
        "--justification",
        "Retired",
    )
    pk = request_id(out)
    shown = status_json(pk)
    assert shown["kind"] == "decommission" and shown["account_id"] == account.account_id
    assert shown["accounts"] == []  # it creates nothing: the account it is about is below
    target = shown["target_account"]
    assert target["account_id"] == account.account_id and target["status"] == "ready"
    assert target["origin"] == "created" and target["close_expected_on"] is None
    assert f"{account.account_id} in GeneralOU" in run("request_status", str(pk))
    # One open request per account: a second one names the first.
    refused(
        *CHANGE,
        "--kind",
        "decommission",
        "--account-id",
        account.account_id,
        "--justification",
        "Again",
        match=f"already has an open request: #{pk}",
    )


def test_request_change_extend_sets_the_new_end(users, team):
    account = ready(users, team, expires_in=3)
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    pk = request_id(
        run(
            *CHANGE,
            "--kind",
            "extend",
            "--account",
            account.account_id,
            "--expires-on",
            later,
            "--justification",
            "Still needed",
        )
    )
    shown = status_json(pk)
    assert shown["kind"] == "extend" and shown["expires_on"] == later
    assert shown["target_account"]["expires_on"] == account.expires_on.isoformat()


@pytest.mark.django_db(transaction=True)
def test_request_change_class_preview_lists_what_changes_and_submits_nothing(account):
    out = run(
        *CHANGE,
        "--kind",
        "change_class",
        "--account",
        account.account_id,
        "--class",
        "hipaa",
        "--preview",
    )
    assert out.startswith(f"change_class of {account.account_id}")
    assert "GeneralOU -> HipaaOU" in out
    assert "  Loses " in out  # HIPAA allows fewer services than general
    assert AccountRequest.objects.filter(kind=RequestKind.CHANGE_CLASS).count() == 0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("--kind", "change_class", "--justification", "J"), "--class: Required for a request"),
        (
            ("--kind", "decommission", "--class", "pci", "--justification", "J"),
            "--class: A request of kind 'decommission' does not take",
        ),
        (("--kind", "extend", "--justification", "J"), "--expires-on: Required"),
        (
            ("--kind", "extend", "--expires-on", "2020-01-01", "--justification", "J"),
            "--expires-on: The lease already runs|after today",
        ),
        (("--kind", "decommission"), "--justification"),
    ],
)
def test_request_change_refuses_bad_input(users, team, args, match):
    account = ready(users, team, expires_in=5)
    refused(*CHANGE, "--account", account.account_id, *args, match=match)


def test_request_change_refuses_unknown_accounts_bad_ids_and_dates(users, team):
    refused(
        *CHANGE,
        "--kind",
        "decommission",
        "--account",
        "999999999999",
        "--justification",
        "J",
        match="no account 999999999999 that you can see",
    )
    refused(
        *CHANGE,
        "--kind",
        "decommission",
        "--account",
        "12",
        "--justification",
        "J",
        match="--account-id: An AWS account id is exactly 12",
    )
    with pytest.raises(CommandError, match="'31/12/2030' is not a date: write it YYYY-MM-DD"):
        run(*CHANGE, "--kind", "extend", "--account", "111122223333", "--expires-on", "31/12/2030")
    with pytest.raises(CommandError, match="invalid choice: 'create'"):
        run(*CHANGE, "--kind", "create", "--account", "111122223333")


def test_request_change_by_someone_who_does_not_lead_the_team_is_refused(users, team):
    account = ready(users, team)
    refused(
        "request_change",
        "--as",
        "lead2",
        "--kind",
        "decommission",
        "--account",
        account.account_id,
        "--justification",
        "J",
        match=f"no account {account.account_id} that you can see",
    )


def test_request_create_with_a_lease(users, team):
    end = (timezone.localdate() + timedelta(days=10)).isoformat()
    out = run(
        "request_create",
        "--as",
        "lead",
        "--team",
        "checkout",
        "--class",
        "general",
        "--env",
        "dev",
        "--justification",
        "Trial",
        "--expires-on",
        end,
    )
    pk = request_id(out)
    assert f"decommissioned on {end}" in out
    shown = status_json(pk)
    assert shown["kind"] == "create" and shown["expires_on"] == end
    assert shown["accounts"][0]["expires_on"] == end
    assert shown["target_account"] is None
    assert f"lease ends {end}" in run("request_status", str(pk))


def test_request_create_refuses_a_lease_that_ends_today(users, team):
    today = timezone.localdate().isoformat()
    refused(
        "request_create",
        "--as",
        "lead",
        "--team",
        "checkout",
        "--class",
        "general",
        "--env",
        "dev",
        "--justification",
        "Trial",
        "--expires-on",
        today,
        match="The lease must end after today",
    )


def test_request_status_shows_the_expected_dates_in_words(users, team):
    account = ready(users, team, expires_in=20)
    due = timezone.now() + timedelta(hours=5)
    VendedAccount.objects.filter(pk=account.pk).update(
        origin=AccountOrigin.INVITED,
        handshake_id="h-123",
        handshake_state="OPEN",
        invite_expected_at=due,
        close_expected_on=timezone.localdate() + timedelta(days=30),
    )
    text = run("request_status", str(account.request_id))
    assert (
        f"origin invited; handshake h-123 OPEN; invitation expected out {due:%Y-%m-%d %H:%M}"
        in text
    )
    assert f"close expected on {timezone.localdate() + timedelta(days=30)}" in text
    assert f"lease ends {account.expires_on}" in text
