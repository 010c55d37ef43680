from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from vending.selectors.requests import account_request_list_for


def home(request: HttpRequest) -> HttpResponse:
    """The landing page: recent requests for those signed in, a sign-in prompt otherwise."""
    recent = (
        account_request_list_for(user=request.user)[:10] if request.user.is_authenticated else []
    )
    return render(request, "vending/home.html", {"requests": recent})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the pages link: the static file's address."""
    return redirect(static("favicon.ico"), permanent=True)
