"""The public site's middleware: the reader's time zone (from the tz cookie) for
the request, and compressed pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils import timezone

from pages.timezones import TZ_COOKIE, parse_zone


class TimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = parse_zone(request.COOKIES.get(TZ_COOKIE, ""))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class CompressedPagesMiddleware(GZipMiddleware):
    """Gzip for the site's pages and text downloads: the service page is ~240 kB of
    HTML (mostly the SVG map and chart), 61 kB compressed
    (pages/tests/test_product_pages.py).

    BREACH (guessing a secret from the size of a compressed page that also reflects
    the attacker's input) is answered by Django itself: the CSRF token is masked
    afresh in every response, and GZipMiddleware pads each body with random bytes
    ("Heal The Breach"); no page of ours shows any other secret. The partner API's
    JSON is left to the reverse proxy (its clients and test harness expect it
    plain); static files are compressed once by WhiteNoise.
    """

    TYPES = frozenset({"text/html", "text/csv", "application/atom+xml", "image/svg+xml"})

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.get("Content-Type", "").split(";")[0].strip() not in self.TYPES:
            return response
        return super().process_response(request, response)
