from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from vending.health import RETRY_AFTER_SECONDS, readiness
from vending.selectors.costs import cost_freshness
from vending.selectors.home import EXPIRING_WITHIN_DAYS, lead_home
from vending.selectors.requests import account_request_list_for


def home(request: HttpRequest) -> HttpResponse:
    """The landing page. A lead sees their teams' accounts (status, spend this month,
    lease), the leases ending soon and the open requests; everyone signed in the recent
    requests (approvers: how many wait for them, from the navigation's context); a
    sign-in prompt otherwise."""
    if not request.user.is_authenticated:
        return render(request, "vending/home.html", {"requests": []})
    lead = lead_home(user=request.user, today=timezone.now().date())
    context = {
        "requests": account_request_list_for(user=request.user)[:10],
        "lead": lead,
        "expiring_within_days": EXPIRING_WITHIN_DAYS,
        "cost_freshness": cost_freshness() if lead else None,
    }
    return render(request, "vending/home.html", context)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Asks nothing of the database or anything else, so
    an outage elsewhere never gets a healthy process restarted."""
    return JsonResponse({"ok": True})


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the pages link: the static file's address."""
    return redirect(static("favicon.ico"), permanent=True)


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the database, the broker and the AWS endpoint answer (vending/health.py).
    A failed check names the error's kind only: the probe is public."""
    checks = readiness()
    ready = all(check.ok for check in checks)
    response = JsonResponse(
        {
            "status": "ready" if ready else "not_ready",
            "checks": {
                check.name: {
                    "ok": check.ok,
                    "milliseconds": check.milliseconds,
                    **({} if check.ok else {"error": check.detail.split(":", 1)[0]}),
                }
                for check in checks
            },
        },
        status=200 if ready else 503,
    )
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
