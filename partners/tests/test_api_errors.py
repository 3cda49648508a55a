"""Every refusal of the API is a 4xx in the one error shape naming what is wrong,
and anything that escapes a view is a JSON 500 in that shape, never an HTML page."""

import base64
from datetime import timedelta

import pytest
from django.core.signals import got_request_exception
from django.db import OperationalError
from django.urls import path
from rest_framework.decorators import api_view

from outagewatch import api_errors
from partners.tests.conftest import T0, make_spike


def cursor(query: bytes) -> str:
    return base64.b64encode(query).decode()


@pytest.fixture
def client_500(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        (f"/api/v1/spikes/?cursor={cursor(b'o=0&p=notadate')}", "cursor"),
        (f"/api/v1/incidents/?cursor={cursor(b'o=0&p=notadate')}", "cursor"),
        (f"/api/v1/spikes/?cursor={cursor(b'o=0&p=0001-01-01T00:00:00%2B01:00')}", "cursor"),
        (f"/api/v1/spikes/?cursor={cursor(b'o=0&p=2026-01-01T00:00:00')}", "cursor"),
        (f"/api/v1/spikes/?cursor={cursor(b'o=0&p=2026-03-02T22:00:00%2B22:00')}", "cursor"),
        ("/api/v1/spikes/?limit=²", "limit"),
        ("/api/v1/incidents/?limit=①", "limit"),
        ("/api/v1/spikes/?limit=0", "limit"),
        ("/api/v1/spikes/?limit=201", "limit"),
        ("/api/v1/spikes/?since=2026-01-01T00:00:00-22:00", "since"),
        ("/api/v1/incidents/?until=2026-01-01T00:00:00%2B16:00", "until"),
        ("/api/v1/spikes/?since=0001-01-01T00:00:00%2B01:00", "since"),
        ("/api/v1/spikes/?until=9999-12-31T23:59:59-01:00", "until"),
        ("/api/v1/spikes/?region=%25", "region"),
        ("/api/v1/spikes/?region=%25s", "region"),
        ("/api/v1/services/whatsapp/series/?from=2026-01-01T00:00:00-22:00", "from"),
        ("/api/v1/services/whatsapp/series/?until=2026-01-02T00:00:00%2B16:00", "until"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it_never_a_500(client_500, whatsapp, url, parameter):
    make_spike(whatsapp, T0)

    response = client_500.get(url)

    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert list(body["errors"]) == [parameter] and body["detail"].startswith(f"{parameter}: ")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/spikes/?until=&since=&region=&service=&limit=&cursor=&format=",
        "/api/v1/incidents/?until=&group=&kind=",
        "/api/v1/services/?category=&group=&format=",
        "/api/v1/services/whatsapp/series/?interval=&from=&until=&region=",
    ],
)
def test_an_empty_parameter_is_the_same_as_leaving_it_out(client, whatsapp, url):
    make_spike(whatsapp, T0)

    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("query", "started"),
    [
        # T0 (2026-03-02T00:00Z) at the ends of the offsets in use:
        ("since=2026-03-01T12:00:00-12:00", "2026-03-02T00:00:00Z"),
        (f"cursor={cursor(b'o=0&p=2026-03-02T14:00:00%2B14:00')}", "2026-03-01T00:00:00Z"),  # before T0
    ],
)
def test_times_with_any_offset_in_use_are_read_as_the_same_instant(client, whatsapp, query, started):
    make_spike(whatsapp, T0)
    make_spike(whatsapp, T0 - timedelta(days=1), ended_at=T0 - timedelta(hours=20))

    response = client.get(f"/api/v1/spikes/?{query}")

    assert response.status_code == 200, response.content
    assert [s["started_at"] for s in response.json()["results"]] == [started]


@api_view(["GET"])
def broken_drf_view(request):
    raise RuntimeError("a bug")


def broken_django_view(request):
    raise RuntimeError("a bug")


@api_view(["GET"])
def database_failing_drf_view(request):
    raise OperationalError("a bug: server closed the connection unexpectedly")


urlpatterns = [
    path("api/v1/broken-drf/", broken_drf_view),
    path("api/v1/broken/", broken_django_view),
    path("api/v1/database-failing/", database_failing_drf_view),
]
handler500 = api_errors.server_error
handler404 = api_errors.not_found


@pytest.mark.urls("partners.tests.test_api_errors")
@pytest.mark.parametrize("url", ["/api/v1/broken-drf/", "/api/v1/broken/", "/api/v1/database-failing/"])
def test_an_exception_escaping_an_api_view_is_a_json_500_in_the_error_shape(client_500, url, caplog):
    response = client_500.get(url)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Something went wrong on our side; it has been logged. Please try again later.",
        "errors": {},
    }
    assert "a bug" in caplog.text  # logged with its traceback, for us


@pytest.mark.urls("partners.tests.test_api_errors")
def test_a_database_error_in_an_api_view_reaches_the_middleware_that_can_read_the_primary_instead(client_500):
    # The replica's middleware (outagewatch/dbrouter.py) sees an exception only if it
    # leaves the view: DRF's handler must not turn it into a 500 response first.
    seen = []

    def escaped(sender, request, **kwargs):
        seen.append(request.path)

    got_request_exception.connect(escaped)
    try:
        response = client_500.get("/api/v1/database-failing/")
    finally:
        got_request_exception.disconnect(escaped)

    assert seen == ["/api/v1/database-failing/"]
    assert response.status_code == 500 and response.json()["errors"] == {}


@pytest.mark.urls("partners.tests.test_api_errors")
def test_an_unknown_api_address_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404 and response.json()["detail"].startswith("There is no API endpoint at")


def test_the_429_says_the_wait_once(client, settings, db):
    settings.PARTNER_API_ANON_RATE = (1, 60)
    client.get("/api/v1/regions/")

    response = client.get("/api/v1/regions/")

    assert response.status_code == 429
    detail = response.json()["detail"]
    assert detail.count("seconds") == 1 and "Expected available" not in detail
    assert response.json()["retry_after"] == int(response["Retry-After"])


@pytest.mark.parametrize(
    "url", ["/api/v1/spikes/?format=csv", "/api/v1/services/whatsapp/series/?format=csv"]
)
def test_a_method_the_api_does_not_take_is_a_json_405_whatever_the_format_asked(client, whatsapp, url):
    response = client.generic("TRACE", url)

    assert response.status_code == 405
    assert response["Allow"] and response.json()["detail"] == 'Method "TRACE" not allowed.'
