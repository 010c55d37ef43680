"""Webhook endpoints: admins make, change, disable, rotate, test and delete them; each
change is audited. The signing secret is derived, never stored: it is returned by the
services that make it new (create, rotate), for the page to show once."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F

from vending.audit import Actor
from vending.audit_day_two import webhook_changed
from vending.choices import NotificationKind
from vending.dispatch import enqueue_outbox_send
from vending.errors import InvalidInput, PermissionDenied
from vending.models import Notification, WebhookEndpoint
from vending.roles import is_admin
from vending.webhooks import SUBSCRIBABLE, endpoint_secret, url_problem, webhook_notifications_write

ADMINS_ONLY = "Only portal admins can manage webhooks."


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # show it once: the portal can derive it again but never displays it


def _require_admin(actor: Actor) -> User:
    if not isinstance(actor, User) or not is_admin(actor):
        raise PermissionDenied(ADMINS_ONLY)
    return actor


def _clean(*, name: str, url: str, events: list[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, list[str]] = {}
    name, url = name.strip(), url.strip()
    if not name:
        errors["name"] = ["Give the endpoint a name."]
    problem = url_problem(url)
    if problem:
        errors["url"] = [problem]
    unknown = sorted(set(events) - {k.value for k in SUBSCRIBABLE})
    if unknown:
        errors["events"] = [f"Unknown event(s): {', '.join(unknown)}."]
    elif not events:
        errors["events"] = ["Choose at least one event."]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], field_errors=errors)
    return name, url, sorted(set(events))


def webhook_endpoint_create(
    *, actor: Actor, name: str, url: str, events: list[str]
) -> EndpointWithSecret:
    admin = _require_admin(actor)
    name, url, events = _clean(name=name, url=url, events=events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            name=name, url=url, events=events, created_by=admin
        )
        webhook_changed(actor=actor, endpoint=endpoint, change="created")
    return EndpointWithSecret(endpoint, endpoint_secret(endpoint))


def webhook_endpoint_update(
    *, actor: Actor, endpoint: WebhookEndpoint, name: str, url: str, events: list[str]
) -> WebhookEndpoint:
    """Change its name, URL or events (the secret stays: rotate it separately)."""
    _require_admin(actor)
    name, url, events = _clean(name=name, url=url, events=events)
    with transaction.atomic():
        endpoint.name, endpoint.url, endpoint.events = name, url, events
        endpoint.save(update_fields=["name", "url", "events", "updated_at"])
        webhook_changed(actor=actor, endpoint=endpoint, change="updated")
    return endpoint


def webhook_endpoint_set_enabled(
    *, actor: Actor, endpoint: WebhookEndpoint, enabled: bool
) -> WebhookEndpoint:
    """A disabled endpoint is sent nothing new, and what waits for it is dropped."""
    _require_admin(actor)
    if endpoint.enabled == enabled:
        return endpoint
    with transaction.atomic():
        endpoint.enabled = enabled
        endpoint.save(update_fields=["enabled", "updated_at"])
        webhook_changed(actor=actor, endpoint=endpoint, change="enabled" if enabled else "disabled")
    return endpoint


def webhook_endpoint_rotate_secret(
    *, actor: Actor, endpoint: WebhookEndpoint
) -> EndpointWithSecret:
    """A new secret (the generation goes up): deliveries from now on are signed with it."""
    _require_admin(actor)
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret_generation=F("secret_generation") + 1
        )
        endpoint.refresh_from_db()
        webhook_changed(actor=actor, endpoint=endpoint, change="rotated")
    return EndpointWithSecret(endpoint, endpoint_secret(endpoint))


def webhook_endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Deletes it with its delivery log; the audit trail keeps that it existed."""
    _require_admin(actor)
    with transaction.atomic():
        webhook_changed(actor=actor, endpoint=endpoint, change="deleted")
        endpoint.delete()


def webhook_endpoint_test(*, actor: Actor, endpoint: WebhookEndpoint) -> Notification:
    """Queue a test event to this endpoint alone, through the outbox like any other."""
    _require_admin(actor)
    if not endpoint.enabled:
        raise InvalidInput("This endpoint is disabled: enable it to send it a test.")
    who = actor.get_username() if actor is not None else "the portal"
    with transaction.atomic():
        (notification,) = webhook_notifications_write(
            kind=NotificationKind.WEBHOOK_TEST,
            text=f"Test of webhook endpoint {endpoint.name!r}, sent by {who}.",
            url="",
            request=None,
            account=None,
            state={},
            endpoints=[endpoint],
        )
        webhook_changed(actor=actor, endpoint=endpoint, change="tested")
        enqueue_outbox_send()
    return notification
