from functools import lru_cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from outagewatch.security import csp_allowing

# Redoc draws a "by Redocly" badge whose logo it loads from its CDN, which our
# policy (and an offline server) refuses: its bundle is served with that image
# made an empty inline one, and the attribution link kept.
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    path = finders.find("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js")
    with open(path, "rb") as bundle:
        return bundle.read().replace(REDOC_LOGO, EMPTY_IMAGE)


def redoc_bundle(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_redoc_bundle(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


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
    path("redoc/redoc.standalone.js", redoc_bundle, name="api-redoc-bundle"),
]
