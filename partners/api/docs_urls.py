from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from outagewatch.security import csp_allowing

# Swagger UI and Redoc set styles at run time (Redoc through injected <style>
# elements) and Redoc renders in a blob: worker; the split Swagger view serves its
# start-up script as a file, so no inline script is needed by either.
docs_policy = csp_allowing(
    style_src="'self' 'unsafe-inline'", worker_src="'self' blob:", font_src="'self' data:"
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path(
        "redoc/",
        docs_policy(SpectacularRedocView.as_view(url_name="api-schema", template_name="partners/redoc.html")),
        name="api-redoc",
    ),
]
