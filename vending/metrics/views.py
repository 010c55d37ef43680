"""`GET /metrics`: the Prometheus text format, for scrapers allowed by `access`."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from vending.metrics.access import metrics_scrape_allowed
from vending.metrics.collectors import metrics_registry

logger = logging.getLogger(__name__)


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_scrape_allowed(request):
        # Which check failed stays in the log; the answer says nothing.
        logger.warning(
            "Metrics scrape refused from %s: no valid bearer token, and not straight from "
            "VENDING_METRICS_ALLOWED_NETWORKS",
            request.META.get("REMOTE_ADDR", "?"),
        )
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain; charset=utf-8")
    return HttpResponse(
        generate_latest(metrics_registry()),
        content_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
