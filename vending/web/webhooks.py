"""Webhook endpoints: portal admins list, add, edit, enable or disable, rotate, test and
delete them, and read each one's delivery log. Anyone else is refused (403) before any
lookup. A new or rotated secret is shown on the answer to the POST that made it, once:
it is derived from the master key, never stored, never put in the session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from vending.errors import DomainError
from vending.models import WebhookEndpoint
from vending.roles import is_admin
from vending.selectors.webhooks import (
    webhook_deliveries,
    webhook_endpoint_get,
    webhook_endpoint_list,
)
from vending.services.webhooks import (
    ADMINS_ONLY,
    EndpointWithSecret,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_set_enabled,
    webhook_endpoint_test,
    webhook_endpoint_update,
)
from vending.web.forms import WebhookEndpointForm
from vending.web.pages import forbidden, signed_in_user, signin_required

TITLE = "Portal admins only"


def _refused(request: HttpRequest) -> HttpResponse:
    return forbidden(request, title=TITLE, explanation=ADMINS_ONLY)


EndpointView = Callable[[HttpRequest, WebhookEndpoint], HttpResponse]


def _admins_endpoint(view: EndpointView) -> Callable[[HttpRequest, int], HttpResponse]:
    """Refuse non-admins (403) before any lookup, then hand the view the endpoint
    `endpoint_pk` (404 when there is none)."""

    @wraps(view)
    def wrapped(request: HttpRequest, endpoint_pk: int) -> HttpResponse:
        if not is_admin(request.user):
            return _refused(request)
        found = webhook_endpoint_get(user=request.user, pk=endpoint_pk)
        if found is None:
            raise Http404(f"There is no webhook endpoint {endpoint_pk}.")
        return view(request, found)

    return wrapped


@signin_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The endpoints, and the form that adds one (its secret shown once on success)."""
    if not is_admin(request.user):
        return _refused(request)
    created: EndpointWithSecret | None = None
    form = WebhookEndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_endpoint_create(actor=signed_in_user(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            form = WebhookEndpointForm()
    status = 201 if created else (400 if form.errors else 200)
    context = {
        "nav": "webhooks",
        "form": form,
        "created": created,
        "endpoints": webhook_endpoint_list(user=request.user),
    }
    return render(request, "vending/webhooks/list.html", context, status=status)


def _detail(
    request: HttpRequest,
    endpoint: WebhookEndpoint,
    *,
    form: WebhookEndpointForm | None = None,
    rotated: EndpointWithSecret | None = None,
    status: int = 200,
) -> HttpResponse:
    initial: dict[str, Any] = {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
    }
    context = {
        "nav": "webhooks",
        "endpoint": endpoint,
        "form": form or WebhookEndpointForm(initial=initial),
        "rotated": rotated,
        "deliveries": webhook_deliveries(endpoint=endpoint),
    }
    return render(request, "vending/webhooks/detail.html", context, status=status)


@signin_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@_admins_endpoint
def webhook_detail(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    """GET: the endpoint, its edit form and its delivery log; POST: save the edit."""
    if request.method != "POST":
        return _detail(request, endpoint)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            webhook_endpoint_update(
                actor=signed_in_user(request), endpoint=endpoint, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"Webhook endpoint {endpoint.name!r} saved.")
            return redirect("webhook_detail", endpoint.pk)
    endpoint.refresh_from_db()
    return _detail(request, endpoint, form=form, status=400)


@signin_required
@require_POST
@_admins_endpoint
def webhook_enabled(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    """POST `enabled=true|false`."""
    enabled = request.POST.get("enabled") == "true"
    webhook_endpoint_set_enabled(actor=signed_in_user(request), endpoint=endpoint, enabled=enabled)
    state = "enabled" if enabled else "disabled: nothing more is sent to it"
    messages.success(request, f"Webhook endpoint {endpoint.name!r} is {state}.")
    return redirect("webhook_detail", endpoint.pk)


@signin_required
@never_cache
@require_POST
@_admins_endpoint
def webhook_rotate(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    rotated = webhook_endpoint_rotate_secret(actor=signed_in_user(request), endpoint=endpoint)
    return _detail(request, rotated.endpoint, rotated=rotated)


@signin_required
@require_POST
@_admins_endpoint
def webhook_test(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    try:
        webhook_endpoint_test(actor=signed_in_user(request), endpoint=endpoint)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "A test event is queued: its delivery shows below.")
    return redirect("webhook_detail", endpoint.pk)


@signin_required
@require_POST
@_admins_endpoint
def webhook_delete(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    name = endpoint.name
    webhook_endpoint_delete(actor=signed_in_user(request), endpoint=endpoint)
    messages.success(request, f"Webhook endpoint {name!r} deleted, with its delivery log.")
    return redirect("webhook_list")
