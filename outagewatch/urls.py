from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from outagewatch.health import healthz
from outagewatch.login_throttle import throttled
from outagewatch.metrics import metrics_view

# Under /api/ a 404 or a 500 is JSON in the API's error shape; elsewhere Django's pages.
handler404 = "outagewatch.api_errors.not_found"
handler500 = "outagewatch.api_errors.server_error"

urlpatterns = [
    # Before the admin's own URLs, so that this throttled login view answers.
    path(f"{settings.ADMIN_PATH}login/", throttled(admin.site.login), name="admin-login"),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (a PNG opened).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("reports.api.urls")),
    path("api/v1/", include("partners.api.urls")),
    path("api/v1/", include("partners.api.docs_urls")),
    path("api/v1/", include("alerts.api.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("pages.urls")),
]
