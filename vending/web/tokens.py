"""API tokens: each person creates, lists and revokes their own (admins revoke anyone's
in the Django admin). A new token's secret is shown on the answer to the POST that made
it, once: it is stored only as a digest, never in the session or a message."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from vending.errors import DomainError
from vending.selectors.api_tokens import api_token_get_for, api_token_list_for
from vending.services.api_tokens import NewApiToken, api_token_create, api_token_revoke
from vending.web.forms import ApiTokenForm
from vending.web.pages import signed_in_user, signin_required


def _form(data: object = None) -> ApiTokenForm:
    return ApiTokenForm(
        data,
        default_days=settings.VENDING_API_TOKEN_DEFAULT_DAYS,
        max_days=settings.VENDING_API_TOKEN_MAX_DAYS,
    )


@signin_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    created: NewApiToken | None = None
    form = _form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            form = _form()
    status = 201 if created else (400 if form.errors else 200)
    context = {"nav": "tokens", "form": form, "created": created}
    context["tokens"] = api_token_list_for(user=user)
    return render(request, "vending/tokens/list.html", context, status=status)


@signin_required
@require_POST
def token_revoke(request: HttpRequest, token_pk: int) -> HttpResponse:
    user = signed_in_user(request)
    token = api_token_get_for(user=user, pk=token_pk)
    if token is None:
        raise Http404(f"You have no API token {token_pk}.")
    try:
        api_token_revoke(actor=user, token=token)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"API token {token.name!r} is revoked: it no longer works.")
    return redirect("token_list")
