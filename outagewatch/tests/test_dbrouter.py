"""Which reads may go to the replica, decided in-process (the real replica's
behaviour is in test_replica.py)."""

from __future__ import annotations

import logging
import time

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import RequestFactory

from alerts import views as alert_views
from alerts.models import Follow, Subscriber
from outagewatch import dbrouter
from outagewatch.health import healthz
from pages import service_views
from pages import views as page_views
from partners.api import views as api_views
from partners.models import PartnerKey
from reports.models import Service
from spikes.models import SeriesMinute
from statuspages.models import ProviderIncident

router = dbrouter.ReplicaRouter()


@pytest.fixture
def healthy_replica(settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 300
    dbrouter.health._state = dbrouter._State(healthy=True, checked_at=time.monotonic(), announced=True)
    yield
    dbrouter.health.forget()


@pytest.fixture
def middleware(monkeypatch):
    monkeypatch.setattr(dbrouter, "configured", lambda: True)
    return dbrouter.ReplicaMiddleware(lambda request: HttpResponse())


def inside(middleware, request, view) -> dict[str, str]:
    """Where the models are read from while `view` handles `request`."""
    token = dbrouter._may_read_replica.set(False)
    try:
        middleware.process_view(request, view, (), {})
        return {
            model.__name__: router.db_for_read(model)
            for model in (
                Service,
                SeriesMinute,
                ProviderIncident,
                PartnerKey,
                Session,
                User,
                Subscriber,
                Follow,
            )
        }
    finally:
        dbrouter._may_read_replica.reset(token)


def test_outside_a_request_every_read_goes_to_the_primary(healthy_replica):
    assert router.db_for_read(Service) == "default"
    assert router.db_for_write(Service) == "default"


def test_a_page_reads_its_data_from_the_replica_but_keys_sessions_and_users_from_the_primary(
    healthy_replica, middleware
):
    reads = inside(middleware, RequestFactory().get("/status/whatsapp/"), service_views.service_detail)

    assert reads == {
        "Service": "replica",
        "SeriesMinute": "replica",
        "ProviderIncident": "replica",
        "PartnerKey": "default",
        "Session": "default",
        "User": "default",
        "Subscriber": "default",
        "Follow": "default",
    }


def test_the_partner_api_reads_from_the_replica(healthy_replica, middleware):
    view = api_views.ServiceViewSet.as_view({"get": "list"})

    assert inside(middleware, RequestFactory().get("/api/v1/services/"), view)["Service"] == "replica"


@pytest.mark.parametrize(
    ("method", "view"),
    [
        ("post", service_views.report_problem),
        ("get", healthz),
        ("post", page_views.time_zone),
        ("get", alert_views.manage),
    ],
    ids=["the report form", "a view of another app", "a POST to the site", "a subscriber's follows"],
)
def test_writes_and_other_views_read_the_primary(healthy_replica, middleware, method, view):
    request = getattr(RequestFactory(), method)("/somewhere/")

    assert inside(middleware, request, view)["Service"] == "default"


def test_a_reader_who_just_wrote_reads_the_primary(healthy_replica, middleware):
    request = RequestFactory().get("/status/whatsapp/")
    request.COOKIES[dbrouter.PIN_COOKIE] = "1"

    assert inside(middleware, request, service_views.service_detail)["Service"] == "default"


def test_an_api_key_that_just_wrote_reads_the_primary(healthy_replica, middleware, settings):
    write = RequestFactory().post("/api/v1/webhook-endpoints/", HTTP_AUTHORIZATION="Bearer k")
    middleware(write)
    read = RequestFactory().get("/api/v1/services/", HTTP_AUTHORIZATION="Bearer k")
    stranger = RequestFactory().get("/api/v1/services/", HTTP_AUTHORIZATION="Bearer other")
    view = api_views.ServiceViewSet.as_view({"get": "list"})

    assert inside(middleware, read, view)["Service"] == "default"
    assert inside(middleware, stranger, view)["Service"] == "replica"


def test_a_successful_write_pins_the_reader_for_the_configured_time(middleware, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 12

    response = middleware(RequestFactory().post("/status/whatsapp/report/"))

    assert response.cookies[dbrouter.PIN_COOKIE]["max-age"] == 12
    assert response.cookies[dbrouter.PIN_COOKIE]["httponly"]


def test_a_refused_write_pins_nothing(monkeypatch):
    monkeypatch.setattr(dbrouter, "configured", lambda: True)
    refusing = dbrouter.ReplicaMiddleware(lambda request: HttpResponse(status=400))

    assert dbrouter.PIN_COOKIE not in refusing(RequestFactory().post("/status/whatsapp/report/")).cookies


def test_without_a_replica_the_middleware_sets_no_cookie_and_reads_stay_on_the_primary():
    plain = dbrouter.ReplicaMiddleware(lambda request: HttpResponse())

    assert dbrouter.PIN_COOKIE not in plain(RequestFactory().post("/status/whatsapp/report/")).cookies
    assert inside(plain, RequestFactory().get("/"), page_views.home)["Service"] == "default"


def test_the_replica_going_down_and_back_is_logged_once_each(caplog, settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 300
    health = dbrouter.ReplicaHealth()
    with caplog.at_level(logging.WARNING, logger="outagewatch.dbrouter"):
        health.mark_down("connection refused")
        health.mark_down("connection refused")
        health._set(True, "caught up")
        health._set(True, "caught up")

    assert [r.getMessage() for r in caplog.records] == [
        "read replica unavailable (connection refused): reading from the primary",
        "read replica available again: the site reads from it",
    ]
    assert health.available()
