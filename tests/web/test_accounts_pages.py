"""The account pages: the list of accounts and one account (its live policy and tags)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import bulk_accounts
from tests.web.helpers import SCRIPT as XSS
from tests.web.helpers import AwsDown as Down
from tests.web.helpers import AwsRefuses as Refuses
from tests.web.helpers import submit as _submit
from vending.choices import AccountStatus

pytestmark = pytest.mark.django_db

# -- sign-in and roles --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/accounts/", "/accounts/111111111111/", "/org/", "/audit/", "/audit/?team=x"]
)
def test_pages_send_anonymous_people_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    login = reverse("login")
    assert response["Location"].startswith(f"{login}?next=")
    assert "next=/" in response["Location"]


def test_url_names():
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
def test_account_list_shows_what_each_role_may_see(web_client_for, fleet, role, names):
    response = web_client_for(role).get("/accounts/")
    assert response.status_code == 200
    page = response.context["page"]
    assert sorted(a.name for a in page) == names
    assert response.context["nav"] == "accounts"
    assert 'aria-current="page"' in response.content.decode()


def test_account_list_empty_state(web_client_for, users):
    html = web_client_for("nobody").get("/accounts/").content.decode()
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
def test_account_list_filters_and_search(web_client_for, fleet, query, names):
    response = web_client_for("approver1").get("/accounts/", query)
    assert response.status_code == 200
    assert sorted(a.name for a in response.context["page"]) == names
    if not names:
        assert "No accounts match these filters" in response.content.decode()


def test_account_list_reports_a_bad_filter_and_ignores_it(web_client_for, fleet):
    response = web_client_for("approver1").get("/accounts/", {"status": "exploded", "team": "x"})
    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert len(response.context["page"]) == 3
    assert 'role="alert"' in response.content.decode()


def test_account_list_team_filter_offers_only_the_leads_teams(web_client_for, fleet):
    form = web_client_for("lead").get("/accounts/").context["form"]
    assert [slug for slug, _ in form.fields["team"].choices] == ["", "checkout"]
    # Asking for another team's accounts shows nothing of theirs.
    response = web_client_for("lead").get("/accounts/", {"team": "payments"})
    assert "team" in response.context["form"].errors
    assert "payments-qa" not in response.content.decode()


def test_account_list_links_each_account_and_its_request(web_client_for, fleet):
    html = web_client_for("lead").get("/accounts/").content.decode()
    assert 'href="/accounts/111111111111/"' in html
    assert f'href="/requests/{fleet["general"].pk}/"' in html


@pytest.mark.parametrize("role", ["lead", "admin"])
@pytest.mark.parametrize("count", [5, 60])
def test_account_list_costs_the_same_queries_for_5_or_60_rows(
    web_client_for, users, team, django_assert_max_num_queries, role, count
):
    bulk_accounts(team=team, requester=users["lead"], count=count)
    client = web_client_for(role)
    # Session, user, groups, the team filter's choices, the count, the rows, and the
    # navigation's counts (one query).
    with django_assert_max_num_queries(7):
        response = client.get("/accounts/", {"compliance_class": "general"})
    assert len(response.context["page"]) == min(count, 50)


def test_account_list_rows_show_each_column(web_client_for, users, team):
    ready, failed = bulk_accounts(team=team, requester=users["lead"], count=2)
    failed.account_id, failed.status = None, AccountStatus.FAILED
    failed.failure_reason = "The e-mail address is already in use."
    failed.save()
    html = web_client_for("lead").get("/accounts/").content.decode()
    assert (
        f'<td><a href="/accounts/{ready.account_id}/">{ready.name}</a>'
        f'<div class="muted small">{ready.email}</div></td>'
    ) in html
    assert f'<td class="mono">{ready.account_id}</td>' in html
    assert f"<td>{team.slug}</td>" in html and "<td>General</td>" in html
    assert '<td class="mono small">GeneralOU</td>' in html
    assert '<span class="badge badge-ready">Ready</span></td>' in html
    assert f'<a href="/requests/{ready.request_id}/">#{ready.request_id}</a>' in html
    # Not created: no link and no id; failed: the reason under the status.
    assert f'<td>{failed.name}<div class="muted small">' in html
    assert '<td class="mono">—</td>' in html
    assert (
        '<span class="badge badge-failed">Failed</span><div class="small muted clamp" '
        'title="The e-mail address is already in use.">The e-mail address is already in use.'
    ) in html


@pytest.mark.parametrize("value", [None, "", "ready", "a&b", ["a&b"], '"><script>'])
def test_direct_widgets_write_what_django_widgets_write(value):
    from django import forms

    from vending.web.widgets import DirectSelect, DirectTextInput

    choices = [("", "Any"), ("a&b", "A <b>"), *AccountStatus.choices]
    attrs = {"id": "id_status", "required": True, "hidden": False}
    assert DirectSelect(choices=choices).render("status", value, attrs) == forms.Select(
        choices=choices
    ).render("status", value, attrs)
    if not isinstance(value, list):
        base = {"type": "search", "placeholder": "Name <or> e-mail"}
        assert DirectTextInput(base).render("q", value, {"id": "id_q"}) == forms.TextInput(
            base
        ).render("q", value, {"id": "id_q"})


def test_account_list_pages_by_50_keeping_the_filters(web_client_for, users, team):
    bulk_accounts(team=team, requester=users["lead"], count=60)
    client = web_client_for("admin")
    first = client.get("/accounts/", {"q": "bulk"})
    assert len(first.context["page"]) == 50
    html = first.content.decode()
    assert "?q=bulk&amp;page=2" in html
    second = client.get("/accounts/", {"q": "bulk", "page": "2"})
    assert len(second.context["page"]) == 10
    # A page past the end or not a number shows a real page, not an error.
    assert client.get("/accounts/", {"page": "999"}).context["page"].number == 2
    assert client.get("/accounts/", {"page": "x"}).context["page"].number == 1


def test_account_list_counts_apart_and_only_when_the_first_page_does_not_say(
    web_client_for, users, team
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    accounts = bulk_accounts(team=team, requester=users["lead"], count=60)
    for account in accounts[:7]:
        account.status = AccountStatus.FAILED
        account.save()
    client = web_client_for("admin")

    def shown(params):
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/accounts/", params).context["page"]
        counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(")]  # a total
        return page, counts

    # 53 ready: a full first page, so the total is counted, by a query of its own that
    # reads neither requests nor teams (the rows' joins, for what they show).
    page, counts = shown({"status": "ready"})
    assert (page.paginator.count, len(page), page.paginator.num_pages) == (53, 50, 2)
    assert len(counts) == 1 and "vending_team" not in counts[0]
    page, counts = shown({"status": "ready", "page": "2"})
    assert (page.number, len(page), page.paginator.count) == (2, 3, 53)
    # 7 failed: the first page is the whole list, so no count is made.
    page, counts = shown({"status": "failed"})
    assert (page.paginator.count, len(page), counts) == (7, 7, [])
    page, counts = shown({"status": "closed"})
    assert (page.paginator.count, len(page)) == (0, 0)
    assert "No accounts match" in client.get("/accounts/", {"status": "closed"}).content.decode()


def test_account_list_counts_its_total_only_so_far(web_client_for, users, team, monkeypatch):
    """A long list's total is counted up to a bound (10,000; 120 here) and shown as "more
    than" it, so a page costs the same however many accounts there are; a page near or
    past the bound counts exactly, so that its Next link is right."""
    from vending.web import pages

    monkeypatch.setattr(pages, "COUNTED_UP_TO", 120)
    bulk_accounts(team=team, requester=users["lead"], count=130)
    client = web_client_for("admin")
    first = client.get("/accounts/")
    page = first.context["page"]
    assert (page.paginator.capped, page.number, page.has_next()) == (120, 1, True)
    html = first.content.decode()
    assert "More than 120 accounts, 1\u201350 shown" in html
    assert "(more than 120 accounts)" in html and "Page 1 of" not in html
    # Page 2 ends at row 100, below the bound: still "more than".
    assert client.get("/accounts/", {"page": "2"}).context["page"].paginator.capped == 120
    # Page 3 reaches past it: counted exactly, and it is the last.
    third = client.get("/accounts/", {"page": "3"})
    page = third.context["page"]
    assert (page.paginator.capped, page.paginator.count, len(page), page.has_next()) == (
        0,
        130,
        30,
        False,
    )
    assert "Page 3 of 3" in third.content.decode()


def test_html_in_fields_is_escaped(web_client_for, users, team, monkeypatch):
    request = _submit(users, team, justification=XSS)
    account = request.accounts.get()
    account.name, account.account_id = "<b>bold</b>", "333333333333"
    account.failure_reason, account.status = XSS, AccountStatus.FAILED
    account.save()
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: Down())
    client = web_client_for("lead")
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
def test_account_page_of_another_team_is_404(web_client_for, fleet, role, path):
    response = web_client_for(role).get(path)
    assert response.status_code == 404
    assert "that you can see" in response.content.decode()


@pytest.mark.parametrize("raw", ["12345", "1111111111111", "abcdefghijkl"])
def test_malformed_account_id_is_404(web_client_for, fleet, raw):
    assert web_client_for("admin").get(f"/accounts/{raw}/").status_code == 404


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


def test_account_page_renders_from_the_live_org(web_client_for, hipaa_account):
    response = web_client_for("lead").get(f"/accounts/{hipaa_account.account_id}/")
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


@pytest.mark.slow
def test_account_page_explains_an_action(web_client_for, hipaa_account):
    url = f"/accounts/{hipaa_account.account_id}/"
    client = web_client_for("approver1")
    denied = client.get(url, {"action": "gamelift:CreateFleet"})
    decision = denied.context["decision"]
    assert (decision.decision, decision.kind) == ("denied", "explicit")
    assert decision.level == "HipaaOU" and decision.policy == "vending-class-hipaa"
    html = denied.content.decode()
    assert "Denied by a policy" in html and decision.statement in html
    allowed = client.get(url, {"action": "s3:GetObject"})
    assert allowed.context["decision"].decision == "allowed"
    # The root's guardrail denies leaving the organization unless the platform role asks.
    depends = client.get(url, {"action": "organizations:LeaveOrganization"})
    decision = depends.context["decision"]
    assert decision.decision == "depends"
    [ref] = decision.statements
    assert (ref.effect, ref.depends_on, ref.statement) == (
        "Deny",
        ("condition",),
        decision.statement,
    )
    html = depends.content.decode()
    assert "Depends on the request" in html and ref.policy in html
    # The services table reads the same answer: organizations is partial, and says why.
    row = next(r for r in depends.context["services"].rows if r.prefix == "organizations")
    assert row.status == "partial" and row.depends >= 1
    assert row.example_depends is not None and "depend" in html
    bad = client.get(url, {"action": "not an action"})
    assert bad.status_code == 200
    assert "decision" not in bad.context
    assert "Not an IAM action" in bad.content.decode()


@pytest.mark.slow
def test_account_page_htmx_fragments(web_client_for, hipaa_account):
    url = f"/accounts/{hipaa_account.account_id}/"
    client = web_client_for("lead")
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


def test_account_page_search_reuses_the_pages_live_read(web_client_for, hipaa_account, monkeypatch):
    url = f"/accounts/{hipaa_account.account_id}/"
    client = web_client_for("lead")
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
def test_account_page_renders_when_aws_fails(web_client_for, fleet, monkeypatch, gateway, text):
    monkeypatch.setattr("vending.web.accounts.get_gateway", lambda: gateway())
    response = web_client_for("lead").get("/accounts/111111111111/", {"action": "s3:GetObject"})
    assert response.status_code == 200
    html = response.content.decode()
    assert text in html
    assert "services" not in response.context and "decision" not in response.context
    # The portal's records and the tags it sets are still there.
    assert "checkout-dev" in html and "vending:request-id" in html
    assert response.context["tags"].source == "portal"
    fragment = web_client_for("lead").get(
        "/accounts/111111111111/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="services-results"
    )
    assert fragment.status_code == 200 and text in fragment.content.decode()


def test_account_page_of_an_account_gone_from_the_org(web_client_for, fleet, moto_gateway):
    response = web_client_for("lead").get("/accounts/111111111111/")
    assert response.status_code == 200
    assert response.context["notice"].kind == "gone"
    assert "does not hold this account" in response.content.decode()
