"""Password sign-in throttling: repeated failures lock out the user and the address,
even for the right password afterwards; each lockout is audited once; a portal admin
unlocks in the Django admin; single sign-on is left alone; the API takes no password
and limits unauthenticated callers per address."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from tests.api.helpers import error_of
from vending.audit import SigninLockedOutPayload
from vending.audit_reading import audit_event_payload
from vending.choices import AuditAction
from vending.models import AuditEvent
from vending.services.api_tokens import api_token_create

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
LIMIT = 10  # VENDING_SIGNIN_FAILURE_LIMIT's default


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    from django.core.cache import cache

    cache.clear()  # the API's per-address counters live in the process-wide cache


def sign_in(client: Client, username: str, password: str, address: str = ATTACKER, path="/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def lockouts() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.SIGNIN_LOCKED_OUT))


# -- the case ---------------------------------------------------------------------


@pytest.mark.slow
def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(users):
    client = Client()
    statuses = [sign_in(client, "lead", f"guess-{n}").status_code for n in range(30)]
    assert statuses[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, with its error
    assert set(statuses[LIMIT - 1 :]) == {429}  # locked from the LIMIT-th failure on
    right = sign_in(client, "lead", "pw")
    assert right.status_code == 429
    assert "Sign-in locked" in right.content.decode()
    assert not signed_in(client)
    assert client.get("/requests/").status_code == 302  # still sent to the sign-in page


@pytest.mark.slow
def test_a_lockout_is_audited_once_with_who_and_where(users):
    client = Client()
    for n in range(30):
        sign_in(client, "lead", f"guess-{n}")
    events = lockouts()
    assert len(events) == 1, [e.message for e in events]
    payload = audit_event_payload(events[0])
    assert payload == SigninLockedOutPayload(username="lead", ip_address=ATTACKER, failures=10)
    assert events[0].actor is None
    assert "guess-" not in events[0].message + str(events[0].data)


def test_the_django_admin_sign_in_is_throttled_alike(users):
    users["admin"].is_superuser = True
    users["admin"].save()
    client = Client()
    for n in range(LIMIT):
        sign_in(client, "admin", f"guess-{n}", path="/admin/login/")
    response = sign_in(client, "admin", "pw", path="/admin/login/")
    assert response.status_code == 429
    assert not signed_in(client)


# -- per user and per address -------------------------------------------------------------


def test_failures_per_address_lock_that_address_for_every_user(users):
    attacker = Client()
    for n in range(LIMIT):  # password spraying: one guess per user name
        sign_in(attacker, f"user{n}", "Winter2026!")
    assert sign_in(attacker, "lead", "pw").status_code == 429
    assert not signed_in(attacker)
    # The same user from another address is not affected.
    elsewhere = Client()
    assert sign_in(elsewhere, "lead", "pw", address="198.51.100.20").status_code == 302
    assert signed_in(elsewhere)


def test_failures_per_user_lock_that_user_from_every_address(users):
    for n in range(LIMIT):  # one guess from each of many addresses
        sign_in(Client(), "lead", f"guess-{n}", address=f"192.0.2.{n + 1}")
    fresh = Client()
    assert sign_in(fresh, "lead", "pw", address="198.51.100.20").status_code == 429
    assert not signed_in(fresh)
    # Another user from that fresh address signs in.
    other = Client()
    assert sign_in(other, "lead2", "pw", address="198.51.100.20").status_code == 302


def test_a_forwarded_for_header_does_not_change_the_address(users):
    client = Client()
    for n in range(LIMIT):
        client.post(
            "/login/",
            {"username": f"user{n}", "password": "x"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    assert sign_in(client, "lead2", "pw").status_code == 429


def test_behind_a_proxy_the_address_is_the_proxys_view_of_the_client(users, settings):
    settings.VENDING_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for n in range(LIMIT):
        Client().post(
            "/login/",
            {"username": f"user{n}", "password": "x"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"1.1.1.1, {ATTACKER}",  # spoofed, then the proxy's hop
        )
    locked = Client().post(
        "/login/",
        {"username": "lead", "password": "pw"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=ATTACKER,
    )
    assert locked.status_code == 429
    # Another client behind the same proxy still signs in.
    fine = Client()
    response = fine.post(
        "/login/",
        {"username": "lead", "password": "pw"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.30",
    )
    assert response.status_code == 302 and signed_in(fine)


def test_the_lockout_ends_after_the_cool_off(users):
    client = Client()
    for n in range(LIMIT):
        sign_in(client, "lead", f"guess-{n}")
    assert sign_in(client, "lead", "pw").status_code == 429
    # Fifteen minutes (VENDING_SIGNIN_COOLOFF_MINUTES) without a new attempt.
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - timedelta(minutes=16)
        )
    assert sign_in(client, "lead", "pw").status_code == 302
    assert signed_in(client)


def test_the_wrong_passwords_are_kept_nowhere(users):
    client = Client()
    for n in range(LIMIT + 2):
        sign_in(client, "lead", f"Secret-guess-{n}")
    stored = " ".join(
        f"{a.get_data} {a.post_data} {a.username}" for a in AccessAttempt.objects.all()
    )
    stored += " ".join(f"{e.message} {e.data}" for e in AuditEvent.objects.all())
    assert "Secret-guess" not in stored
    assert AccessAttempt.objects.exists()


# -- unlocking ------------------------------------------------------------------------------


def _locked_out_lead() -> None:
    client = Client()
    for n in range(LIMIT):
        sign_in(client, "lead", f"guess-{n}")
    assert sign_in(client, "lead", "pw").status_code == 429


def test_a_portal_admin_unlocks_in_the_django_admin(users):
    _locked_out_lead()
    admin = Client()
    admin.force_login(users["admin"])  # portal-admins group: neither superuser nor staff
    changelist = admin.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200
    assert "lead" in changelist.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": ids, "index": 0},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    again = Client()
    assert sign_in(again, "lead", "pw").status_code == 302 and signed_in(again)


def test_someone_who_is_not_an_admin_cannot_unlock(users):
    _locked_out_lead()
    approver = Client()
    approver.force_login(users["approver1"])
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = approver.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert AccessAttempt.objects.count() == len(ids)


def test_the_reset_command_unlocks_from_the_shell(users):
    from django.core.management import call_command

    _locked_out_lead()
    call_command("axes_reset_username", "lead")
    call_command("axes_reset_ip", ATTACKER)
    client = Client()
    assert sign_in(client, "lead", "pw").status_code == 302


# -- single sign-on and the API -------------------------------------------------------------


class PasswordlessBackend:
    """Stands for single sign-on's backend: it authenticates with an authorization code,
    never a password (mozilla-django-oidc's `authenticate(request, nonce=..., ...)`)."""

    def authenticate(self, request, nonce=None, code_verifier=None, **kwargs):
        if nonce == "good":
            return User.objects.get(username="lead")
        return None

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id).first()


def test_single_sign_on_is_neither_refused_nor_counted(users, settings):
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        f"{__name__}.PasswordlessBackend",
    ]
    _locked_out_lead()  # both the user and ATTACKER's address are locked now
    request = RequestFactory().get("/oidc/callback/", REMOTE_ADDR=ATTACKER)
    assert authenticate(request, nonce="good", code_verifier="v") == users["lead"]
    before = list(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert authenticate(request, nonce="bad", code_verifier="v") is None
    after = list(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert before == after


def test_the_api_takes_no_password_so_a_lockout_has_no_back_door(users):
    _locked_out_lead()
    client = APIClient(REMOTE_ADDR="198.51.100.40")
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"lead:pw").decode())
    response = client.get("/api/v1/requests/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_unauthenticated_api_calls_are_limited_per_address(users, settings):
    settings.VENDING_API_THROTTLE_ANON = "3/min"
    anon = APIClient(REMOTE_ADDR=ATTACKER)
    answers = [anon.get("/api/v1/teams/").status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    # Wrong tokens and spoofed X-Forwarded-For headers count against the same address.
    wrong = APIClient(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99")
    wrong.credentials(HTTP_AUTHORIZATION="Token vpt_" + "A" * 43)
    response = wrong.get("/api/v1/teams/")
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert anon.post("/api/v1/requests/", {}, format="json").status_code == 429
    # Another address is not affected, nor is a valid token from the same address.
    assert APIClient(REMOTE_ADDR="198.51.100.50").get("/api/v1/teams/").status_code == 401
    token = api_token_create(user=users["lead"], name="ci").secret
    signed = APIClient(REMOTE_ADDR=ATTACKER)
    signed.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [signed.get("/api/v1/teams/").status_code for _ in range(5)] == [200] * 5
