"""URLs of the intake benchmark: the production URLs plus a bare Django JSON view."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    """What Django itself costs: the same middleware and server, no work at all."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("outagewatch.urls")),
]
