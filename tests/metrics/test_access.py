"""Who may scrape /metrics: a bearer token, or a request straight from an allowed network.
Anybody else gets a bare 403 that names no metric."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from vending.metrics.access import metrics_settings_validate

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-" + "x" * 40


def refused(response) -> bool:  # type: ignore[no-untyped-def]
    body = response.content.decode()
    return response.status_code == 403 and body == "Forbidden\n" and "vending_" not in body


def test_loopback_is_allowed_by_default_without_a_token(scraper):
    response = scraper.get()
    assert response.status_code == 200
    assert b"vending_accounts" in response.content
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("address", ["::1", "::ffff:127.0.0.1", "127.0.0.2"])
def test_every_loopback_form_is_allowed_by_default(scraper, address):
    assert scraper.get(REMOTE_ADDR=address).status_code == 200


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.7", "2001:db8::1", "not-an-ip", ""])
def test_other_addresses_are_refused_without_a_token(scraper, settings, address):
    settings.VENDING_METRICS_TOKEN = TOKEN
    assert refused(scraper.get(REMOTE_ADDR=address))


def test_the_token_lets_any_address_in(scraper, settings):
    settings.VENDING_METRICS_TOKEN = TOKEN
    response = scraper.get(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"vending_accounts" in response.content
    # The scheme is case-insensitive, as in HTTP.
    assert (
        scraper.get(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    )


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {TOKEN[:-1]}",  # one character short
        f"Bearer {TOKEN}x",  # one too many
        f"Bearer {TOKEN.upper()}",
        f"Token {TOKEN}",  # the REST API's scheme, not this one
        TOKEN,  # no scheme
        "Bearer ",
        "",
    ],
)
def test_a_wrong_token_is_refused(scraper, settings, authorization):
    settings.VENDING_METRICS_TOKEN = TOKEN
    assert refused(scraper.get(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=authorization))


def test_no_token_is_accepted_when_none_is_set(scraper, settings):
    settings.VENDING_METRICS_TOKEN = ""
    for authorization in ("Bearer ", "Bearer", "Bearer  "):
        assert refused(scraper.get(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION=authorization))


@pytest.mark.parametrize(
    "header",
    ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"],
)
def test_a_request_through_a_proxy_never_passes_by_address(scraper, settings, header):
    """A reverse proxy on the same host connects from loopback for every client."""
    settings.VENDING_METRICS_TOKEN = TOKEN
    assert refused(scraper.get(**{header: "127.0.0.1"}))
    assert refused(scraper.get(**{header: "203.0.113.9"}))
    # The token still works through the proxy.
    assert (
        scraper.get(**{header: "203.0.113.9"}, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code
        == 200
    )


def test_the_allowed_networks_are_a_setting(scraper, settings):
    settings.VENDING_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert scraper.get(REMOTE_ADDR="10.200.0.1").status_code == 200
    assert scraper.get(REMOTE_ADDR="2001:db8::5").status_code == 200
    assert refused(scraper.get(REMOTE_ADDR="11.0.0.1"))
    assert refused(scraper.get(REMOTE_ADDR="127.0.0.1"))  # loopback is no longer listed


def test_an_empty_network_list_leaves_only_the_token(scraper, settings):
    settings.VENDING_METRICS_ALLOWED_NETWORKS = []
    settings.VENDING_METRICS_TOKEN = TOKEN
    assert refused(scraper.get(REMOTE_ADDR="127.0.0.1"))
    assert scraper.get(HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_only_reads_are_answered(scraper):
    assert scraper.client.post("/metrics").status_code == 405
    assert scraper.client.head("/metrics").status_code == 200


def test_scrapes_over_plain_http_are_not_redirected(settings, monkeypatch):
    """Production redirects http to https; a scraper inside the network talks plain
    http, and a redirect would not protect a token its first request already sent."""
    production = load_settings(
        monkeypatch,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 50,
        DJANGO_SECURE_SSL_REDIRECT="true",
    )
    settings.SECURE_SSL_REDIRECT = production["SECURE_SSL_REDIRECT"]
    settings.SECURE_REDIRECT_EXEMPT = production["SECURE_REDIRECT_EXEMPT"]
    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
    assert client.get("/").status_code == 301  # the rest of the site redirects
    assert client.get("/metrics").status_code == 200


def test_a_refusal_is_logged_with_the_address_but_never_the_token(scraper, settings, caplog):
    settings.VENDING_METRICS_TOKEN = TOKEN
    scraper.get(REMOTE_ADDR="10.9.9.9", HTTP_AUTHORIZATION="Bearer wrong-guess-of-the-token")
    messages = [r.getMessage() for r in caplog.records if r.name == "vending.metrics.views"]
    assert len(messages) == 1 and "10.9.9.9" in messages[0]
    assert "wrong-guess" not in caplog.text and TOKEN not in caplog.text


# --- the settings, and bad ones refusing to start the portal ------------------------------


def load_settings(monkeypatch, **environ: str) -> dict[str, object]:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "portal" / "settings.py"))


def test_the_settings_read_the_environment(monkeypatch):
    loaded = load_settings(
        monkeypatch,
        VENDING_METRICS_TOKEN=f"  {TOKEN}\n",
        VENDING_METRICS_ALLOWED_NETWORKS="10.0.0.0/8,fd00::/8",
        PROMETHEUS_MULTIPROC_DIR="/srv/metrics",
    )
    assert loaded["VENDING_METRICS_TOKEN"] == TOKEN  # a trailing newline from a file is dropped
    assert loaded["VENDING_METRICS_ALLOWED_NETWORKS"] == ["10.0.0.0/8", "fd00::/8"]
    assert str(loaded["PROMETHEUS_MULTIPROC_DIR"]) == "/srv/metrics"


def test_the_default_is_loopback_only_and_no_token(monkeypatch):
    monkeypatch.delenv("VENDING_METRICS_TOKEN", raising=False)
    monkeypatch.delenv("VENDING_METRICS_ALLOWED_NETWORKS", raising=False)
    loaded = load_settings(monkeypatch)
    assert loaded["VENDING_METRICS_TOKEN"] == ""
    assert loaded["VENDING_METRICS_ALLOWED_NETWORKS"] == ["127.0.0.0/8", "::1/128"]


@pytest.mark.parametrize(
    "networks", [["10.0.0.0/33"], ["10.0.0.300/8"], ["localhost"], ["10.0.0.1-10.0.0.9"]]
)
def test_a_bad_network_is_refused_by_name(settings, networks):
    settings.VENDING_METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", *networks]
    with pytest.raises(ImproperlyConfigured, match="VENDING_METRICS_ALLOWED_NETWORKS"):
        metrics_settings_validate()


def test_a_short_token_is_refused(settings):
    settings.VENDING_METRICS_TOKEN = "too-short"
    with pytest.raises(ImproperlyConfigured, match="VENDING_METRICS_TOKEN must be at least 32"):
        metrics_settings_validate()
    settings.VENDING_METRICS_TOKEN = TOKEN
    metrics_settings_validate()


def test_the_portal_refuses_to_start_with_bad_metrics_settings(settings):
    """The check runs when the app loads: in the web, the workers and every command."""
    from django.apps import apps

    settings.VENDING_METRICS_ALLOWED_NETWORKS = ["everywhere"]
    with pytest.raises(ImproperlyConfigured, match="'everywhere' is not a network"):
        apps.get_app_config("vending").ready()
