from django.contrib import admin
from django.urls import include, path

from outagewatch.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("reports.api.urls")),
    path("api/v1/", include("partners.api.urls")),
    path("api/v1/", include("partners.api.docs_urls")),
    path("", include("reports.urls")),
]
