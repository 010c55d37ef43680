"""The OpenAPI schema (`/api/schema/`) and Swagger UI (`/api/docs/`): for signed-in users
(browser session or API token) unless `VENDING_API_DOCS_PUBLIC` is on.

The schema lists every endpoint, field and error code: a map worth keeping from someone
who has no account. The setting is read on each request, not when the URLs load.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response


def _docs_public() -> bool:
    return bool(settings.VENDING_API_DOCS_PUBLIC)


class ApiSchemaView(SpectacularAPIView):
    """Anonymous: 401 with the API's error envelope."""

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if _docs_public() else [IsAuthenticated()]


class ApiDocsView(SpectacularSwaggerSplitView):
    """A page: an anonymous browser is sent to the sign-in page, and back after it.

    The split view serves Swagger UI's init script at `?script` (the CSP allows no
    inline script); templates/drf_spectacular/swagger_ui.html has no inline style. Swagger
    UI draws its icons from data: URLs: this page's CSP allows those images, no other's.
    """

    @method_decorator(csp_update({"img-src": ["data:"]}))
    @extend_schema(exclude=True)  # not an endpoint of the API it documents
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if not _docs_public() and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        response: Response = super().get(request, *args, **kwargs)
        return response
