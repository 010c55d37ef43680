"""The inventory pages: accounts, one account, the organization, the audit trail, the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vending.aws import PermanentAwsError, TransientAwsError
from vending.choices import AccountStatus, AuditAction
from vending.models import AccountRequest, AuditEvent, DriftFinding, DriftScan, Team, VendedAccount
from vending.services.requests import account_request_create

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script>"


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_policy_read_from_another_test():
    # The account page keeps its live read in Django's cache for its search box.
    cache.clear()


@pytest.fixture
def page_client(users):
    """A browser session signed in as one of `users` (lead, lead2, approver1, admin, ...)."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def payments(users) -> Team:
    team = Team.objects.create(slug="payments", name="Payments")
    team.leads.add(users["lead2"])
    return team


def _submit(users, team, *, cls="general", envs=("dev",), who="lead", justification="New"):
    return account_request_create(
        requester=users[who],
        team=team,
        compliance_class=cls,
        environments=list(envs),
        justification=justification,
    )


@pytest.fixture
def fleet(users, team, payments):
    """checkout: general dev (ready, 111111111111) + prod; payments: pci qa (222222222222)."""
    general = _submit(users, team, envs=("dev", "prod"))
    dev = general.accounts.get(environment="dev")
    dev.account_id, dev.status = "111111111111", AccountStatus.READY
    dev.save()
    pci = _submit(users, payments, cls="pci", envs=("qa",), who="lead2")
    qa = pci.accounts.get()
    qa.account_id, qa.status = "222222222222", AccountStatus.READY
    qa.save()
    return {"general": general, "pci": pci, "dev": dev, "qa": qa}


class Down:
    """A gateway whose every call fails as when AWS does not answer."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise TransientAwsError("Connect timeout", code="ConnectTimeoutError")

        return fail


class Refuses:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise PermanentAwsError("not authorized", code="AccessDeniedException")

        return fail


def _rows(html: str) -> int:
    return html.count("<tr>") - 1  # minus the header row


# -- sign-in and roles --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/accounts/", "/accounts/111111111111/", "/org/", "/audit/", "/audit/?team=x"]
)
def test_inventory_pages_send_anonymous_people_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    login = reverse("login")
    assert response["Location"].startswith(f"{login}?next=")
    assert "next=/" in response["Location"]


def test_inventory_url_names():
    assert reverse("account_list") == "/accounts/"
    assert reverse("account_detail", args=["123456789012"]) == "/accounts/123456789012/"
    assert reverse("org_tree") == "/org/"
    assert reverse("audit_list") == "/audit/"


# -- account list -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "names"),
    [
        ("lead", ["checkout-dev", "checkout-prod"]),
        ("lead2", ["payments-qa"]),
        ("approver1", ["checkout-dev", "checkout-prod", "payments-qa"]),
        ("admin", ["checkout-dev", "checkout-prod", "payments-qa"]),
    ],
)
def test_inventory_account_list_shows_what_each_role_may_see(page_client, fleet, role, names):
    response = page_client(role).get("/accounts/")
    assert response.status_code == 200
    page = response.context["page"]
    assert sorted(a.name for a in page) == names
    assert response.context["nav"] == "accounts"
    assert 'aria-current="page"' in response.content.decode()


def test_inventory_account_list_empty_state(page_client, users):
    html = page_client("nobody").get("/accounts/").content.decode()
    assert "No accounts yet" in html


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"team": "payments"}, ["payments-qa"]),
        ({"compliance_class": "general"}, ["checkout-dev", "checkout-prod"]),
        ({"environment": "prod"}, ["checkout-prod"]),
        ({"status": "ready"}, ["checkout-dev", "payments-qa"]),
        ({"status": "pending", "team": "checkout"}, ["checkout-prod"]),
        ({"q": "PAYMENTS"}, ["payments-qa"]),
        ({"q": "aws+checkout-prod@"}, ["checkout-prod"]),
        ({"q": "2222222"}, ["payments-qa"]),
        ({"q": "nothing-like-this"}, []),
    ],
)
def test_inventory_account_list_filters_and_search(page_client, fleet, query, names):
    response = page_client("approver1").get("/accounts/", query)
    assert response.status_code == 200
    assert sorted(a.name for a in response.context["page"]) == names
    if not names:
        assert "No accounts match these filters" in response.content.decode()


def test_inventory_account_list_reports_a_bad_filter_and_ignores_it(page_client, fleet):
    response = page_client("approver1").get("/accounts/", {"status": "exploded", "team": "x"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert len(response.context["page"]) == 3
    assert 'role="alert"' in response.content.decode()


def test_inventory_account_list_team_filter_offers_only_the_leads_teams(page_client, fleet):
    form = page_client("lead").get("/accounts/").context["form"]
    assert [slug for slug, _ in form.fields["team"].choices] == ["", "checkout"]
    # Asking for another team's accounts shows nothing of theirs.
    response = page_client("lead").get("/accounts/", {"team": "payments"})
    assert "team" in response.context["form"].errors
    assert "payments-qa" not in response.content.decode()


def test_inventory_account_list_links_each_account_and_its_request(page_client, fleet):
    html = page_client("lead").get("/accounts/").content.decode()
    assert 'href="/accounts/111111111111/"' in html
    assert f'href="/requests/{fleet["general"].pk}/"' in html


def _many_accounts(users, team, count: int) -> None:
    requests = AccountRequest.objects.bulk_create(
        AccountRequest(
            team=team,
            requester=users["lead"],
            compliance_class="general",
            environments=["dev"],
            justification="bulk",
        )
        for _ in range(count)
    )
    VendedAccount.objects.bulk_create(
        VendedAccount(
            request=r,
            environment="dev",
            name=f"bulk-{i:03d}",
            email=f"aws+bulk-{i:03d}@example.com",
            target_ou_path="GeneralOU",
            account_id=f"{900000000000 + i}",
            status=AccountStatus.READY,
        )
        for i, r in enumerate(requests)
    )


@pytest.mark.parametrize("role", ["lead", "admin"])
@pytest.mark.parametrize("count", [5, 60])
def test_inventory_account_list_costs_the_same_queries_for_5_or_60_rows(
    page_client, users, team, django_assert_max_num_queries, role, count
):
    _many_accounts(users, team, count)
    client = page_client(role)
    with django_assert_max_num_queries(10):
        response = client.get("/accounts/", {"compliance_class": "general"})
    assert len(response.context["page"]) == min(count, 50)


def test_inventory_account_list_pages_by_50_keeping_the_filters(page_client, users, team):
    _many_accounts(users, team, 60)
    client = page_client("admin")
    first = client.get("/accounts/", {"q": "bulk"})
    assert len(first.context["page"]) == 50
    html = first.content.decode()
    assert "?q=bulk&amp;page=2" in html
    second = client.get("/accounts/", {"q": "bulk", "page": "2"})
    assert len(second.context["page"]) == 10
    # A page past the end or not a number shows a real page, not an error.
    assert client.get("/accounts/", {"page": "999"}).context["page"].number == 2
    assert client.get("/accounts/", {"page": "x"}).context["page"].number == 1


def test_inventory_html_in_fields_is_escaped(page_client, users, team, monkeypatch):
    request = _submit(users, team, justification=XSS)
    account = request.accounts.get()
    account.name, account.account_id = "<b>bold</b>", "333333333333"
    account.failure_reason, account.status = XSS, AccountStatus.FAILED
    account.save()
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: Down())
    client = page_client("lead")
    for response in (
        client.get("/accounts/", {"q": XSS}),
        client.get("/accounts/"),
        client.get("/accounts/333333333333/", {"q": XSS, "action": XSS}),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert XSS not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html


# -- one account --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("lead2", "/accounts/111111111111/"),  # another team's account
        ("lead", "/accounts/222222222222/"),
        ("nobody", "/accounts/111111111111/"),
        ("admin", "/accounts/999999999999/"),  # no such account
    ],
)
def test_inventory_account_page_of_another_team_is_404(page_client, fleet, role, path):
    response = page_client(role).get(path)
    assert response.status_code == 404
    assert "that you can see" in response.content.decode()


@pytest.mark.parametrize("raw", ["12345", "1111111111111", "abcdefghijkl"])
def test_inventory_malformed_account_id_is_404(page_client, fleet, raw):
    assert page_client("admin").get(f"/accounts/{raw}/").status_code == 404


@pytest.fixture
def hipaa_account(moto_gateway, users, team):
    """A ready hipaa account that exists in moto, in HipaaOU, tagged by the portal."""
    gw = moto_gateway
    status = gw.create_account(name="checkout-dev", email="aws+checkout-dev@example.com")
    account_id = gw.describe_create_account_status(request_id=status.request_id).account_id
    ou = gw.find_organizational_unit(path="HipaaOU")
    gw.move_account(
        account_id=account_id, source_parent_id=gw.root().id, destination_parent_id=ou.id
    )
    gw.tag_resource(resource_id=account_id, tags={"vending:team": "checkout", "cost-center": "42"})
    request = _submit(users, team, cls="hipaa", justification="Claims service")
    account = request.accounts.get()
    account.account_id, account.status = account_id, AccountStatus.READY
    account.save()
    return account


def test_inventory_account_page_renders_from_the_live_org(page_client, hipaa_account):
    response = page_client("lead").get(f"/accounts/{hipaa_account.account_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["nav"] == "accounts"
    assert response.context["notice"] is None
    # OU path, live tags and the request that made it.
    assert response.context["policy"].ou_path == "HipaaOU"
    assert response.context["tags"].source == "aws"
    assert "cost-center" in html and "Read live from AWS Organizations" in html
    assert f'href="/requests/{hipaa_account.request_id}/"' in html
    # Effective services with counts and, for denied ones, why.
    services = {row.prefix: row for row in response.context["services"].rows}
    assert services["gamelift"].status == "denied"
    assert services["gamelift"].example_denial.policy == "vending-class-hipaa"
    assert services["s3"].status in {"allowed", "partial"}
    counts = response.context["services"].counts
    assert counts["denied"] > 0 and sum(counts.values()) == len(services)
    assert "vending-class-hipaa" in html and "badge-denied" in html


def test_inventory_account_page_explains_an_action(page_client, hipaa_account):
    url = f"/accounts/{hipaa_account.account_id}/"
    client = page_client("approver1")
    denied = client.get(url, {"action": "gamelift:CreateFleet"})
    decision = denied.context["decision"]
    assert decision.decision == "explicit_deny"
    assert decision.level == "HipaaOU" and decision.policy == "vending-class-hipaa"
    html = denied.content.decode()
    assert "Denied by a policy" in html and decision.statement in html
    allowed = client.get(url, {"action": "s3:GetObject"})
    assert allowed.context["decision"].decision == "allowed"
    bad = client.get(url, {"action": "not an action"})
    assert bad.status_code == 200
    assert "decision" not in bad.context
    assert "Not an IAM action" in bad.content.decode()


def test_inventory_account_page_htmx_fragments(page_client, hipaa_account):
    url = f"/accounts/{hipaa_account.account_id}/"
    client = page_client("lead")
    response = client.get(
        url, {"q": "gamel"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="services-results"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="services-results"')
    assert [row.prefix for row in response.context["services"].rows] == [
        "gamelift",
        "gameliftstreams",
    ]
    assert "<html" not in html
    denied_only = client.get(
        url, {"status": "denied"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="services-results"
    )
    assert {row.status for row in denied_only.context["services"].rows} == {"denied"}
    explain = client.get(
        url, {"action": "s3:GetObject"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="explain-result"
    )
    assert "<html" not in explain.content.decode() and "Allowed" in explain.content.decode()
    assert explain.context["decision"].decision == "allowed"
    # A history restore asks for the whole page.
    restore = client.get(
        url,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="services-results",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in restore.content.decode()


def test_inventory_account_page_search_reuses_the_pages_live_read(
    page_client, hipaa_account, monkeypatch
):
    url = f"/accounts/{hipaa_account.account_id}/"
    client = page_client("lead")
    assert client.get(url).context["notice"] is None
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: Down())
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "services-results"}
    fragment = client.get(url, {"q": "s3"}, **htmx)
    assert fragment.context["notice"] is None
    assert "s3" in [row.prefix for row in fragment.context["services"].rows]
    # The page itself always reads live.
    assert client.get(url).context["notice"].kind == "unavailable"


@pytest.mark.parametrize(
    ("gateway", "text"), [(Down, "AWS did not answer"), (Refuses, "AWS refused to answer")]
)
def test_inventory_account_page_renders_when_aws_fails(
    page_client, fleet, monkeypatch, gateway, text
):
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: gateway())
    response = page_client("lead").get("/accounts/111111111111/", {"action": "s3:GetObject"})
    assert response.status_code == 200
    html = response.content.decode()
    assert text in html
    assert "services" not in response.context and "decision" not in response.context
    # The portal's records and the tags it sets are still there.
    assert "checkout-dev" in html and "vending:request-id" in html
    assert response.context["tags"].source == "portal"
    fragment = page_client("lead").get(
        "/accounts/111111111111/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="services-results"
    )
    assert fragment.status_code == 200 and text in fragment.content.decode()


def test_inventory_account_page_of_an_account_gone_from_the_org(page_client, fleet, moto_gateway):
    response = page_client("lead").get("/accounts/111111111111/")
    assert response.status_code == 200
    assert response.context["notice"].kind == "gone"
    assert "does not hold this account" in response.content.decode()


# -- organization -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead", "nobody", "approver1", "admin"])
def test_inventory_org_page_shows_the_live_tree(page_client, users, moto_gateway, role):
    response = page_client(role).get("/org/")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["nav"] == "org"
    for name in ("GeneralOU", "HipaaOU", "HipaaPciOU", "PciOU", "SuspendedOU"):
        assert name in html
    assert "vending-class-hipaa" in html and "FullAWSAccess" in html
    assert "HIPAA + PCI DSS accounts" in html  # the class that lands in HipaaPciOU
    assert response.context["tree"].organization_id in html


@pytest.mark.parametrize(
    ("gateway", "text"), [(Down, "AWS did not answer"), (Refuses, "AWS refused to answer")]
)
def test_inventory_org_page_renders_when_aws_fails(page_client, users, monkeypatch, gateway, text):
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: gateway())
    response = page_client("lead").get("/org/")
    assert response.status_code == 200
    assert text in response.content.decode()


@pytest.fixture
def drift(db):
    now = timezone.now()
    DriftScan.objects.create(started_at=now - timedelta(minutes=3), finished_at=now, findings=2)
    seen_once = DriftFinding.objects.create(
        key="account_unknown:444444444444",
        kind=DriftFinding.Kind.ACCOUNT_UNKNOWN,
        target="Root",
        detail="account 444444444444 (stray) was not created by a request",
        first_seen=now,
        last_seen=now,
    )
    reported = DriftFinding.objects.create(
        key="attachment_missing:HipaaOU",
        kind=DriftFinding.Kind.ATTACHMENT_MISSING,
        target="HipaaOU",
        detail=f"HipaaOU: vending-class-hipaa detached {XSS}",
        first_seen=now - timedelta(hours=1),
        last_seen=now - timedelta(minutes=20),
        times_seen=4,
    )
    DriftFinding.objects.create(
        key="gone",
        kind=DriftFinding.Kind.OU_MISSING,
        target="OldOU",
        detail="resolved long ago",
        first_seen=now - timedelta(days=2),
        last_seen=now - timedelta(days=2),
        resolved_at=now - timedelta(days=1),
    )
    return {"reported": reported, "seen_once": seen_once}


@pytest.mark.parametrize("role", ["admin", "approver1"])
def test_inventory_drift_is_listed_for_admins_and_approvers(page_client, drift, monkeypatch, role):
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: Down())
    response = page_client(role).get("/org/")
    assert response.status_code == 200
    report = response.context["drift"]
    # Open findings only, reported first even when seen less recently.
    assert [f.key for f in report.findings] == [drift["reported"].key, drift["seen_once"].key]
    html = response.content.decode()
    assert "Reported" in html and "Seen once" in html and "resolved long ago" not in html
    assert "Last scan" in html and XSS not in html


@pytest.mark.parametrize("role", ["lead", "nobody"])
def test_inventory_drift_is_hidden_from_leads(page_client, drift, monkeypatch, role):
    monkeypatch.setattr("vending.web.org.get_gateway", lambda: Down())
    response = page_client(role).get("/org/")
    assert response.status_code == 200
    assert response.context["drift"] is None
    html = response.content.decode()
    assert "444444444444" not in html and "Drift" not in html


# -- audit trail --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead", "lead2", "nobody"])
def test_inventory_audit_is_403_for_others(page_client, fleet, role):
    response = page_client(role).get("/audit/", {"team": "checkout"})
    assert response.status_code == 403
    assert "approvers and admins" in response.content.decode()


@pytest.mark.parametrize("role", ["approver1", "admin"])
def test_inventory_audit_lists_newest_first(page_client, fleet, role):
    response = page_client(role).get("/audit/")
    assert response.status_code == 200
    events = list(response.context["page"])
    assert events and [e.pk for e in events] == sorted((e.pk for e in events), reverse=True)
    assert response.context["nav"] == "audit"
    assert "Request submitted" in response.content.decode()


def test_inventory_audit_filters(page_client, users, fleet):
    general, pci = fleet["general"], fleet["pci"]
    AuditEvent.objects.create(
        action=AuditAction.REQUEST_APPROVAL_ADDED,
        actor=users["approver1"],
        team=general.team,
        request=general,
        message=XSS,
    )
    client = page_client("admin")

    def actions(**query):
        response = client.get("/audit/", query)
        assert response.status_code == 200
        return [(e.action, e.request_id) for e in response.context["page"]]

    assert actions(team="payments") == [("request.submitted", pci.pk)]
    assert actions(request=str(general.pk), action="request.approval_added") == [
        ("request.approval_added", general.pk)
    ]
    assert actions(actor="approver1") == [("request.approval_added", general.pk)]
    today = timezone.now().date()
    assert len(actions(since=str(today), until=str(today))) == 3
    assert actions(since=str(today + timedelta(days=1))) == []
    assert actions(until=str(today - timedelta(days=1))) == []
    html = client.get("/audit/").content.decode()
    assert XSS not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "query",
    [
        {"request": "abc"},
        {"request": "0"},
        {"action": "request.exploded"},
        {"since": "yesterday"},
        {"since": "2030-01-02", "until": "2030-01-01"},
    ],
)
def test_inventory_audit_bad_filters_are_shown_not_500(page_client, fleet, query):
    response = page_client("approver1").get("/audit/", query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize("count", [5, 60])
def test_inventory_audit_costs_the_same_queries_for_5_or_60_rows(
    page_client, users, team, django_assert_max_num_queries, count
):
    _many_accounts(users, team, count)
    accounts = list(VendedAccount.objects.select_related("request"))
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.ACCOUNT_STATUS_CHANGED,
            actor=users["approver1"] if i % 2 else None,
            team=team,
            request=a.request,
            account=a,
            from_status="placing",
            to_status="ready",
            data={"i": i},
        )
        for i, a in enumerate(accounts)
    )
    client = page_client("approver1")
    with django_assert_max_num_queries(10):
        response = client.get("/audit/", {"team": "checkout"})
    assert len(response.context["page"]) == min(count, 50)


def test_inventory_audit_empty_state(page_client, users):
    assert "No events yet" in page_client("admin").get("/audit/").content.decode()


# -- Django admin -------------------------------------------------------------------------


@pytest.fixture
def superuser(users):
    user = users["admin"]
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/vending/team/",
        "/admin/vending/team/?q=lead&has_lead=yes",
        "/admin/vending/team/?has_lead=no",
        "/admin/auth/user/",
        "/admin/auth/user/?role=approver",
        "/admin/auth/user/?role=lead&q=lead",
        "/admin/auth/user/?role=admin",
        "/admin/auth/user/?role=none",
        "/admin/auth/group/",
        "/admin/auth/group/?q=approvers",
        "/admin/vending/accountrequest/",
        "/admin/vending/vendedaccount/",
        "/admin/vending/auditevent/",
        "/admin/vending/driftfinding/",
        "/admin/vending/driftscan/",
    ],
)
def test_inventory_admin_changelists_render(superuser, fleet, drift, path):
    assert superuser.get(path).status_code == 200


def test_inventory_admin_user_list_shows_roles_and_teams(superuser, fleet):
    response = superuser.get("/admin/auth/user/?role=lead")
    html = response.content.decode()
    assert "checkout" in html and "payments" in html
    assert list(response.context["cl"].result_list.values_list("username", flat=True)) == [
        "lead",
        "lead2",
    ]
    approvers = superuser.get("/admin/auth/user/?role=approver").context["cl"].result_list
    assert sorted(u.username for u in approvers) == ["approver1", "approver2"]


def test_inventory_admin_creates_a_team_with_leads_and_audits_it(superuser, users):
    response = superuser.post(
        "/admin/vending/team/add/",
        {"slug": "search", "name": "Search", "leads": [users["lead"].pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    team = Team.objects.get(slug="search")
    assert list(team.leads.values_list("username", flat=True)) == ["lead"]
    event = AuditEvent.objects.get(action=AuditAction.TEAM_CREATED, team=team)
    assert event.actor == users["admin"] and event.data["leads"] == ["lead"]


def test_inventory_admin_group_members_are_edited_on_the_group(superuser, users):
    group = Group.objects.get(name="approvers")
    page = superuser.get(f"/admin/auth/group/{group.pk}/change/")
    assert page.status_code == 200
    assert {u.username for u in page.context["adminform"].form["members"].initial} == {
        "approver1",
        "approver2",
    }
    response = superuser.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "approvers", "members": [users["approver1"].pk, users["lead2"].pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(group.user_set.values_list("username", flat=True)) == ["approver1", "lead2"]


def test_inventory_admin_portal_admins_manage_teams_but_mint_no_superusers(users, team):
    portal_admin = users["admin"]  # in the portal-admins group, not a superuser
    portal_admin.is_staff = True
    portal_admin.save()
    client = Client()
    client.force_login(portal_admin)
    assert client.get("/admin/vending/team/").status_code == 200
    assert client.get(f"/admin/vending/team/{team.pk}/change/").status_code == 200
    page = client.get(f"/admin/auth/user/{users['lead'].pk}/change/")
    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
    root = type(users["admin"]).objects.create_superuser("root", "root@example.com", "pw")
    # A superuser is only viewed, never changed, by a portal admin.
    view = client.get(f"/admin/auth/user/{root.pk}/change/")
    assert view.status_code == 200 and view.context["has_change_permission"] is False
    client.post(f"/admin/auth/user/{root.pk}/change/", {"username": "owned"})
    root.refresh_from_db()
    assert root.username == "root"


def test_portal_admins_reach_the_django_admin_without_the_staff_flag(users, web_client_for):
    assert not users["admin"].is_staff  # a portal admin by group membership only
    response = web_client_for("admin").get("/admin/vending/team/")
    assert response.status_code == 200
    assert web_client_for("approver1").get("/admin/").status_code == 302  # to the login
