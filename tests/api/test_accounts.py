"""/api/v1/accounts/: list with filters, read by AWS id, effective policy (moto)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import ROLES
from tests.api.helpers import error_of
from vending.account_ownership import accounts_with_owner
from vending.api.account_live import AccountLiveSerializer
from vending.api.account_rows import ACCOUNT_ROW_FIELDS, AccountRowSerializer
from vending.aws import PermanentAwsError, TransientAwsError
from vending.choices import AccountStatus
from vending.models import VendedAccount

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"


@pytest.fixture
def fleet(submit, other_team):
    """checkout: general dev+prod (dev ready as 111111111111); payments: pci qa."""
    general = submit(cls="general", envs=("dev", "prod"))
    dev = general.accounts.get(environment="dev")
    dev.account_id, dev.status = "111111111111", AccountStatus.READY
    dev.save()
    pci = submit(cls="pci", envs=("qa",), who="lead2", on=other_team)
    return {"general": general, "pci": pci}


def ids(response):
    assert response.status_code == 200, response.json()
    return [(a["team"], a["environment"]) for a in response.json()["results"]]


@pytest.mark.slow
def test_each_role_lists_the_accounts_it_may_see(client_for, fleet):
    seen = {role: ids(client_for(role).get(URL)) for role in ROLES}
    assert seen["lead"] == [("checkout", "dev"), ("checkout", "prod")]
    assert seen["lead2"] == [("payments", "qa")]
    for role in ("approver1", "approver2", "admin"):
        assert seen[role] == [("checkout", "dev"), ("checkout", "prod"), ("payments", "qa")]
    assert seen["nobody"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"team": "payments"}, [("payments", "qa")]),
        ({"compliance_class": "general"}, [("checkout", "dev"), ("checkout", "prod")]),
        ({"environment": "prod"}, [("checkout", "prod")]),
        ({"status": "ready"}, [("checkout", "dev")]),
        ({"status": "pending", "team": "checkout"}, [("checkout", "prod")]),
        ({"team": "nope"}, []),
    ],
)
def test_the_list_filters(client_for, fleet, query, expected):
    assert ids(client_for("approver1").get(URL, query)) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "done"}, "status"),
        ({"environment": "staging"}, "environment"),
        ({"compliance_class": "sox"}, "compliance_class"),
        ({"colour": "red"}, "colour"),
        ({"page_size": "501"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page": "-1"}, "page"),
        ({"team": "a\x00b"}, "team"),
    ],
)
def test_bad_filters_are_400(client_for, fleet, query, field):
    response = client_for("admin").get(URL, query)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]


def test_a_page_past_the_end_is_404(client_for, fleet):
    response = client_for("admin").get(URL, {"page": "99999999999999"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_each_listed_account_reads_as_its_own_page_does(client_for, fleet):
    """The list renders rows from a few columns; the account's own endpoint renders the
    model with AccountLiveSerializer, which the schema describes. Both must say the same,
    field by field, whatever is set or blank (an id, a failure, a completion time)."""
    ready = fleet["general"].accounts.get(environment="dev")
    ready.completed_at = ready.aws_created_at = timezone.now()
    # Seen by a drift scan after it was ready, in another OU than its class's.
    ready.live_ou_path, ready.live_seen_at = "PciOU", ready.completed_at + timedelta(minutes=1)
    ready.save()
    failed = fleet["pci"].accounts.get()
    failed.account_id, failed.status = "222222222222", AccountStatus.FAILED
    failed.failure_reason = "The e-mail address is already in use."
    failed.save()
    listed = client_for("admin").get(URL).json()["results"]
    assert len(listed) == 3
    for row in listed:
        if row["account_id"] is None:
            instance = VendedAccount.objects.get(request_id=row["request"], environment="prod")
            assert row == dict(AccountLiveSerializer(instance).data)
            continue
        alone = client_for("admin").get(f"{URL}{row['account_id']}/")
        assert row == alone.json()
    assert [r["failure_reason"] for r in listed] == [None, None, failed.failure_reason]
    assert listed[0]["completed_at"].endswith("Z") and listed[1]["completed_at"] is None
    assert [(r["live_state"], r["live_ou_path"]) for r in listed] == [
        ("moved", "PciOU"),
        ("unseen", None),
        ("unseen", None),
    ]
    # In another time zone too, dates are written as DRF writes them.
    with timezone.override("America/New_York"):
        rows = AccountRowSerializer(
            accounts_with_owner(VendedAccount.objects.order_by("id")).values(*ACCOUNT_ROW_FIELDS),
            many=True,
        ).data
        models = AccountLiveSerializer(VendedAccount.objects.order_by("id"), many=True).data
    assert rows == [dict(m) for m in models]
    assert rows[0]["created_at"].endswith("-05:00") or rows[0]["created_at"].endswith("-04:00")


def test_accounts_of_closed_requests_are_not_listed(client_for, fleet):
    client_for("lead").post(f"/api/v1/requests/{fleet['general'].pk}/cancel/", {}, format="json")
    assert ids(client_for("admin").get(URL)) == [("payments", "qa")]


def test_reading_an_account_by_its_aws_id(client_for, fleet):
    response = client_for("lead").get(f"{URL}111111111111/")
    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == "111111111111"
    assert body["ou_path"] == "GeneralOU" and body["compliance_class"] == "general"
    assert body["request"] == fleet["general"].pk and body["status"] == "ready"
    assert body["failure_reason"] is None


@pytest.mark.parametrize(
    ("role", "account"), [("lead2", "111111111111"), ("admin", "999999999999")]
)
def test_an_account_you_may_not_see_is_404(client_for, fleet, role, account):
    for suffix in ("", "effective-policy/"):
        response = client_for(role).get(f"{URL}{account}/{suffix}")
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("raw", ["12345", "abcdefghijkl", "1111111111111", "%20"])
def test_a_malformed_account_id_is_404(client_for, fleet, raw):
    assert client_for("admin").get(f"{URL}{raw}/").status_code == 404


# -- effective policy, against moto with the org blueprint applied --------------------------


@pytest.fixture
def hipaa_account(moto_gateway, submit):
    """A ready hipaa account that really exists in moto, in HipaaOU."""
    gw = moto_gateway
    status = gw.create_account(name="checkout-dev", email="aws+checkout-dev@example.com")
    account_id = gw.describe_create_account_status(request_id=status.request_id).account_id
    root = gw.root().id
    ou = gw.find_organizational_unit(path="HipaaOU")
    gw.move_account(account_id=account_id, source_parent_id=root, destination_parent_id=ou.id)
    request = submit(cls="hipaa", envs=("dev",))
    account = request.accounts.get()
    account.account_id, account.status = account_id, AccountStatus.READY
    account.save()
    return account_id


@pytest.mark.slow
def test_an_allowed_action(client_for, hipaa_account):
    url = f"{URL}{hipaa_account}/effective-policy/"
    response = client_for("lead").get(url, {"action": "s3:GetObject"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["action"] == "s3:GetObject"
    assert body["decision"] == "allowed"
    assert {"level", "policy", "statement", "reason", "conditional"} <= set(body)
    assert (body["outcome"], body["kind"], body["statements"]) == ("allowed", None, [])


def test_a_denied_action_names_level_policy_and_statement(client_for, hipaa_account):
    url = f"{URL}{hipaa_account}/effective-policy/"
    body = client_for("approver1").get(url, {"action": "gamelift:CreateFleet"}).json()
    assert body["decision"] == "explicit_deny"
    assert (body["outcome"], body["kind"]) == ("denied", "explicit")
    assert body["level"] == "HipaaOU"
    assert body["policy"] == "vending-class-hipaa"
    assert body["statement"]
    assert body["statements"] == [
        {
            "level": "HipaaOU",
            "policy": "vending-class-hipaa",
            "statement": body["statement"],
            "effect": "Deny",
            "depends_on": [],
        }
    ]


def test_an_action_that_depends_on_the_request(client_for, hipaa_account):
    url = f"{URL}{hipaa_account}/effective-policy/"
    body = client_for("lead").get(url, {"action": "organizations:LeaveOrganization"}).json()
    assert (body["outcome"], body["kind"]) == ("depends", None)
    # Clients of the old fields read it as they always did: allowed in some requests.
    assert (body["decision"], body["conditional"]) == ("allowed", True)
    [statement] = body["statements"]
    assert (statement["effect"], statement["depends_on"]) == ("Deny", ["condition"])
    assert statement["policy"] == body["policy"] and statement["level"] == body["level"]


def test_without_an_action_every_service_is_summarised(client_for, hipaa_account):
    response = client_for("admin").get(f"{URL}{hipaa_account}/effective-policy/")
    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == hipaa_account
    assert body["ou_path"] == "HipaaOU"
    assert body["services"]["s3"] in {"allowed", "partial"}
    assert body["services"]["gamelift"] == "denied"
    assert set(body["services"].values()) <= {"allowed", "partial", "denied"}
    counts = body["action_counts"]
    assert set(counts) == set(body["services"])
    gamelift, org = counts["gamelift"], counts["organizations"]
    assert gamelift["denied"] == gamelift["total"] > 0
    assert org["depends"] >= 1 and body["services"]["organizations"] == "partial"
    assert all(c["allowed"] + c["depends"] + c["denied"] == c["total"] for c in counts.values())


@pytest.mark.parametrize(
    "query", [{"action": "not an action"}, {"action": "s3"}, {"action": ""}, {"verbose": "1"}]
)
def test_a_bad_action_is_400(client_for, hipaa_account, query):
    response = client_for("admin").get(f"{URL}{hipaa_account}/effective-policy/", query)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(query)


def test_an_account_that_left_the_organization_is_404(client_for, fleet, moto_gateway):
    response = client_for("lead").get(f"{URL}111111111111/effective-policy/")
    assert response.status_code == 404
    assert "111111111111" in error_of(response)["message"]


def test_aws_down_is_503_with_retry_after(client_for, fleet, monkeypatch):
    class Down:
        def describe_organization(self):
            raise TransientAwsError("timed out", code="ReadTimeoutError")

    monkeypatch.setattr("vending.api.views.accounts.get_gateway", lambda: Down())
    response = client_for("lead").get(f"{URL}111111111111/effective-policy/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert error_of(response)["code"] == "aws_unavailable"


def test_aws_refusing_is_502(client_for, fleet, monkeypatch):
    class Refuses:
        def describe_organization(self):
            raise PermanentAwsError("not allowed", code="AccessDeniedException")

    monkeypatch.setattr("vending.api.views.accounts.get_gateway", lambda: Refuses())
    response = client_for("lead").get(f"{URL}111111111111/effective-policy/")
    assert response.status_code == 502
    assert "not allowed" in error_of(response)["message"]
