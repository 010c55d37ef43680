from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from vending.api.docs import ApiDocsView, ApiSchemaView
from vending.metrics.views import metrics

# An outage met outside a view (a middleware) is a 503 too (portal/outage.py).
handler500 = "portal.outage.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("vending.api.urls")),
    # Behind sign-in unless VENDING_API_DOCS_PUBLIC (vending/api/docs.py).
    path("api/schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    # Prometheus: bearer token or allowed network (vending/metrics/access.py).
    path("metrics", metrics, name="metrics"),
    path("", include("vending.web.urls")),
]
if settings.VENDING_OIDC_ENABLED:
    # Single sign-on: /oidc/authenticate/, /oidc/callback/, /oidc/logout/.
    urlpatterns.insert(0, path("oidc/", include("mozilla_django_oidc.urls")))
