"""Browser hardening: every response carries a strict Content-Security-Policy (no inline
script, no eval), a Permissions-Policy and the framing, sniffing, referrer and opener
headers; no template needs what the policy forbids; htmx is told not to eval."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _plain_routes(entries: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    """Every route without a path parameter (the ones with one are the object routes)."""
    found: list[str] = []
    for entry in entries:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _plain_routes(entry.url_patterns, route)
        elif not entry.pattern.regex.groupindex and not route.startswith(("^", "admin/")):
            found.append("/" + route)
    return found


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_hardened(response, where: str) -> None:
    assert response.has_header("Content-Security-Policy"), where
    csp = directives(response)
    assert csp["default-src"] == ["'self'"], where
    assert csp["script-src"] == ["'self'"], (where, csp["script-src"])
    assert csp["style-src"] == ["'self'"], (where, csp["style-src"])
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], where
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'self'"], where
    assert "unsafe" not in response["Content-Security-Policy"], where
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy, (where, policy)
    assert response["X-Frame-Options"] == "DENY", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where


@pytest.mark.slow
@pytest.mark.serial
def test_every_page_and_endpoint_carries_the_headers(users, team):
    routes = _plain_routes(get_resolver().url_patterns)
    assert {"/", "/requests/", "/tokens/", "/api/v1/teams/", "/api/docs/"} <= set(routes)
    admin = Client()
    admin.force_login(users["admin"])
    checked = 0
    for path in routes:
        response = admin.get(path, HTTP_ACCEPT="text/html,application/json")
        assert_hardened(response, path)
        checked += 1
    for path in ("/admin/", "/admin/vending/apitoken/", "/admin/axes/accessattempt/"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, path)
    assert checked >= 15


@pytest.mark.parametrize(
    "path",
    ["/login/", "/", "/requests/", "/no-such-page/", "/api/v1/teams/", "/api/docs/",
     "/static/vending/portal.css", "/healthz"],
)  # fmt: skip
def test_anonymous_answers_redirects_and_errors_carry_them_too(path):
    assert_hardened(Client().get(path), path)


def test_a_failed_form_and_a_lockout_page_carry_them(users):
    client = Client()
    response = client.post("/login/", {"username": "lead", "password": "wrong"})
    assert response.status_code == 200
    assert_hardened(response, "login failure")
    for _ in range(10):
        response = client.post("/login/", {"username": "lead", "password": "wrong"})
    assert response.status_code == 429
    assert_hardened(response, "lockout")


# -- what the pages need fits the policy ------------------------------------------------------

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
FORBIDDEN = {
    "an inline <script>": INLINE_SCRIPT,
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an inline <style>": re.compile(r"<style\b", re.I),
    "an inline event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on (htmx evaluates it)": re.compile(r"\s(hx|data-hx)-on", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "an htmx js: value": re.compile(r"hx-(vals|headers)\s*=\s*['\"]\s*js:", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_needs_what_the_policy_forbids(template):
    text = template.read_text()
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}"


def test_the_scan_finds_what_it_looks_for():
    """The control: each pattern above catches the markup it names."""
    samples = {
        "an inline <script>": "<script>alert(1)</script>",
        "a style attribute": '<div style="color: red">',
        "an inline <style>": "<style>p {}</style>",
        "an inline event handler": '<button onclick="go()">',
        "hx-on (htmx evaluates it)": '<form hx-on::after-request="x()">',
        "a javascript: URL": '<a href="javascript:void(0)">',
        "an htmx js: value": "<div hx-vals='js:{a: 1}'>",
    }
    for what, sample in samples.items():
        assert FORBIDDEN[what].search(sample), what
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')


def test_htmx_runs_without_eval_or_script_tags(users):
    client = Client()
    client.force_login(users["lead"])
    html = client.get("/").content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)[1])
    assert config == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
    }
    assert "/static/vending/submit-guard.js" in html


def test_the_api_docs_page_loads_its_script_from_a_url(users):
    client = Client()
    client.force_login(users["lead"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert_hardened(page, "/api/docs/")
    # Swagger UI's icons are data: images: allowed there, and nowhere else.
    assert directives(page)["img-src"] == ["'self'", "data:"]
    assert directives(client.get("/tokens/"))["img-src"] == ["'self'"]
    html = page.content.decode()
    assert not INLINE_SCRIPT.search(html) and "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
