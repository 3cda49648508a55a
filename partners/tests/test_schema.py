"""The OpenAPI schema: valid, documented, served offline, and kept honest by
Schemathesis (generated requests against every read endpoint and the report POST:
no 5xx, and every answer conforms to what the schema says)."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from partners.tests.conftest import T0, make_spike


def test_the_schema_describes_every_endpoint_with_an_example(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()

    paths = schema["paths"]
    for path in [
        "/api/v1/services/", "/api/v1/services/{slug}/", "/api/v1/services/{slug}/series/",
        "/api/v1/problem-types/", "/api/v1/regions/", "/api/v1/live-status/",
        "/api/v1/spikes/", "/api/v1/spikes/{id}/", "/api/v1/incidents/", "/api/v1/incidents/{id}/",
        "/api/v1/reports/", "/api/v1/provider-incidents/", "/api/v1/provider-incidents/{id}/",
        "/api/v1/provider-status/", "/api/v1/provider-status/{slug}/",
    ]:  # fmt: skip
        assert path in paths, path
        for operation in paths[path].values():
            assert operation["summary"]
            assert any(
                "examples" in body
                for r in operation["responses"].values()
                for body in r.get("content", {}).values()
            ), path
    assert {"bearerKey", "apiKeyHeader"} <= set(schema["components"]["securitySchemes"])


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_documentation_pages_load_everything_from_our_own_server(client, db, page):
    html = client.get(page).content.decode()

    # Swagger UI from the sidecar's static files; Redoc's bundle from our own URL
    # (the sidecar's, less its CDN logo).
    assert "/static/drf_spectacular_sidecar/" in html or 'src="/api/v1/redoc/redoc.standalone.js"' in html
    assert "cdn." not in html and "unpkg" not in html


@pytest.fixture
def django_wsgi(db):
    # As Django's test client does: a request must not close the test's connection
    # (and with it the transaction every test runs in).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def some_data(db, settings_for_fuzzing):
    from reports.tests.factories import ServiceFactory, ServiceGroupFactory

    service = ServiceFactory(slug="whatsapp", group=ServiceGroupFactory(slug="meta"), problems=["pictures"])
    make_spike(service, T0)


@pytest.fixture
def settings_for_fuzzing(settings):
    # Rate limits would answer 429 to most generated requests: lift them here.
    settings.PARTNER_API_ANON_RATE = (1_000_000, 60)
    settings.REPORT_RATE_LIMIT = (1_000_000, 60)


# The schema as /api/v1/schema/ serves it, built in-process (no database needed),
# and the requests go to the real WSGI application.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_no_5xx_and_conforming_answers(case, django_wsgi, some_data):
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
