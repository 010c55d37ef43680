"""Every route that names an object answers 404 to a signed-in person with no relation
to it (403 where the route itself is for a role that person lacks).

The routes are found by walking the URL configuration, not listed by hand: a new page
or endpoint that takes an id is covered the day it is added, and the last test fails
if a route's id is one this file does not know how to fill in.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from vending.choices import DriftKind
from vending.models import DriftFinding, VendedAccount, WebhookEndpoint
from vending.services.api_tokens import api_token_create
from vending.services.requests import account_request_create

pytestmark = pytest.mark.django_db

ACCOUNT_ID = "111122223333"
# Routes only a role may use: someone without it is refused (403) before any lookup.
ROLE_GATED = ("approvals/", "org/drift/", "webhooks/", "api/v1/webhooks/")
# Django's own admin guards itself (staff sign-in); it is not a portal page.
SKIPPED_PREFIXES = ("admin/",)


def _routes(
    resolvers: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route, entry


def object_routes() -> list[tuple[str, URLPattern]]:
    """Every route with a path parameter, outside the Django admin."""
    return [
        (route, pattern)
        for route, pattern in _routes(get_resolver().url_patterns)
        if pattern.pattern.regex.groupindex and not route.startswith(SKIPPED_PREFIXES)
    ]


@pytest.fixture
def someone_elses(users, team):
    """A request of team `checkout` (led by `lead`), with one account AWS created, and
    an API token of `lead`."""
    request = account_request_create(
        requester=users["lead"],
        team=team,
        compliance_class="general",
        environments=["dev"],
        justification="Visibility test",
    )
    account = request.accounts.get()
    VendedAccount.objects.filter(pk=account.pk).update(account_id=ACCOUNT_ID)
    return {
        "pk": request.pk,
        "id": request.pk,
        "account_pk": account.pk,
        "account_id": ACCOUNT_ID,
        "environment": "dev",
        "kind": "change_class",  # an account's action (vending/web/account_changes.py)
        "slug": "checkout",  # the team's page and spend
        "token_pk": api_token_create(user=users["lead"], name="visibility").token.pk,
        "endpoint_pk": WebhookEndpoint.objects.create(name="hook", url="https://x.test/").pk,
        "finding_pk": DriftFinding.objects.create(
            key="attach:HipaaOU:vending-class-hipaa",
            kind=DriftKind.ATTACHMENT_MISSING,
            target="HipaaOU",
            detail="HipaaOU: attach vending-class-hipaa",
            first_seen=timezone.now(),
            last_seen=timezone.now(),
        ).pk,
    }


def _path(route: str, values: dict[str, object]) -> str:
    path = "/" + route
    for name in sorted(values, key=len, reverse=True):
        path = path.replace(f"<int:{name}>", str(values[name]))
        path = path.replace(f"<str:{name}>", str(values[name]))
        path = path.replace(f"<slug:{name}>", str(values[name]))
        path = path.replace(f"<aws_account_id:{name}>", str(values[name]))
    assert "<" not in path, f"this test does not know how to fill in {route}"
    return path


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.parametrize("who", ["nobody", "lead2"])
def test_no_object_route_shows_another_teams_object(users, someone_elses, other_team, who):
    client = Client()
    client.force_login(users[who])
    checked = []
    for route, _pattern in object_routes():
        path = _path(route, someone_elses)
        answers = {
            method: getattr(client, method)(path, HTTP_ACCEPT="application/json").status_code
            for method in ("get", "post", "put", "patch")
        }
        expected = {403, 404} if route.startswith(ROLE_GATED) else {404}
        assert set(answers.values()) <= expected | {405}, (route, who, answers)
        assert set(answers.values()) & expected, (route, who, answers)
        checked.append(route)
    # Web and API alike: the pages of requests, approvals, accounts and the API's ids.
    assert any(r.startswith("requests/") for r in checked)
    assert any(r.startswith("api/v1/accounts/") for r in checked)
    assert len(checked) >= 14, checked


@pytest.mark.slow
@pytest.mark.serial
def test_the_same_routes_answer_the_objects_team_lead(users, someone_elses):
    """The control: the lead of the object's team reaches each non-approval route, so the
    404s above come from visibility, not from a wrong URL."""
    client = Client()
    client.force_login(users["lead"])
    for route, _pattern in object_routes():
        if route.startswith(ROLE_GATED) or route.endswith(
            ("retry/", "cancel/", "approve/", "reject/")
        ):
            continue
        response = client.get(_path(route, someone_elses), HTTP_ACCEPT="application/json")
        assert response.status_code in {200, 405, 502, 503}, (route, response.status_code)
