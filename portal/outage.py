"""A dependency outage answers 503 with Retry-After, never a 500.

When the database or the broker cannot be reached (`vending.health.unavailable_dependency`),
web pages show templates/503.html and paths under /api/ answer the API's JSON error
envelope (`service_unavailable`). The API's own views are covered by its exception handler
(vending/api/errors.py); this middleware covers the pages and what DRF does not handle.
`server_error` (handler500) covers an outage met in a middleware, where no view runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

from vending.api.errors import error_body
from vending.health import RETRY_AFTER_SECONDS, unavailable_dependency

logger = logging.getLogger(__name__)

_WHAT = {"database": "The portal's database", "broker": "The portal's task queue"}


def outage_response(request: HttpRequest, dependency: str) -> HttpResponse:
    message = (
        f"{_WHAT.get(dependency, 'A service the portal needs')} cannot be reached right now. "
        f"Nothing was changed; try again in {RETRY_AFTER_SECONDS} seconds."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("service_unavailable", message), status=503)
    else:
        # No context processors: they would read the database that is down.
        body = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DependencyOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        dependency = unavailable_dependency(exception)
        if dependency is None:
            return None
        logger.warning("%s unavailable while serving %s: %s", dependency, request.path, exception)
        return outage_response(request, dependency)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 when the error being handled is an outage, Django's 500 otherwise."""
    exception = sys.exc_info()[1]
    dependency = unavailable_dependency(exception) if exception is not None else None
    if dependency is not None:
        return outage_response(request, dependency)
    return django_server_error(request)
