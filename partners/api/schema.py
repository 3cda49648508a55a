"""OpenAPI descriptions and examples of the API (drf-spectacular).

Kept apart from the views so that they stay three lines each; every endpoint gets
a summary, its parameters, an example answer and the error answers it can give.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from partners.api import serializers as api
from partners.api.serializers_webhooks import WebhookEndpointSerializer


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.authentication.PartnerKeyAuthentication"
    name = ["bearerKey", "apiKeyHeader"]
    priority = 1

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <your partner key>"},
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        ]

    def get_security_requirement(self, auto_schema):
        # Keys are optional: without one, reads share a low per-address limit.
        return [{"bearerKey": []}, {"apiKeyHeader": []}, {}]


ErrorSerializer = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        "retry_after": serializers.IntegerField(required=False, help_text="Only on 429"),
    },
)


def _error(description: str, detail: str, errors: dict | None = None) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(description, {"detail": detail, "errors": errors or {}}, response_only=True)
        ],
    )


COMMON_ERRORS = {
    401: _error(
        "Unknown or revoked key",
        "This API key is not known. Check that it was copied whole, or ask for a new one.",
    ),
    403: _error(
        "Key without the read scope", "This API key has no 'read' scope; ask for a key that may read the API."
    ),
    429: _error(
        "Rate limit or daily quota reached",
        "Rate limit of 600 requests a minute reached. Try again in 12 seconds.",
    ),
}
NOT_FOUND = {404: _error("No such item", "No Service matches the given query.")}


def _bad(parameter: str, message: str) -> dict:
    return {400: _error(f"Bad {parameter}", f"{parameter}: {message}", {parameter: [message]})}


def _ok(serializer, example, many: bool = False, description: str = "OK") -> OpenApiResponse:
    if many:  # drf-spectacular wraps a list's example in the list (and the page) itself
        example = example[0]
    return OpenApiResponse(
        serializer(many=many) if many else serializer,
        description=description,
        examples=[OpenApiExample("Example", example, response_only=True)],
    )


def _csv(example: str) -> OpenApiResponse:
    return OpenApiResponse(
        OpenApiTypes.STR,
        description="The rows as CSV, one header line first",
        examples=[OpenApiExample("CSV", example, response_only=True)],
    )


SERVICE = {
    "slug": "whatsapp",
    "name": "WhatsApp",
    "category": "messaging",
    "group": "meta",
    "status_page_url": "https://status.whatsapp.com/",
    "problem_types": ["messages", "pictures", "voice-messages", "login"],
    "status": "suspected",
    "level": "danger",
    "since": "2026-03-05T17:42:00Z",
    "recovering_since": None,
    "regions": ["IN"],
    "open_spike": 812,
}
SPIKE = {
    "id": 812,
    "service": "whatsapp",
    "service_name": "WhatsApp",
    "region": "",
    "level": "danger",
    "verdict": "confirmed",
    "confirmed_by": "provider",
    "dismissed_reason": None,
    "verdict_note": "Media messages delayed",
    "verdict_url": "https://metastatus.com/incidents/01HQ",
    "verdict_at": "2026-03-05T18:01:00Z",
    "started_at": "2026-03-05T17:42:00Z",
    "detected_at": "2026-03-05T17:45:00Z",
    "peak_at": "2026-03-05T18:03:00Z",
    "peak_reports": 1240,
    "expected_reports": 21.5,
    "ended_at": None,
    "problems": {"pictures": 0.61, "voice-messages": 0.27, "messages": 0.12},
    "regions": {"IN": 0.58, "BR": 0.21, "US": 0.21},
    "incident": 97,
    "related_to": None,
}
HISTORY = [
    {"at": "2026-03-05T17:45:00Z", "kind": "opened", "level": "warning", "note": "", "actor": "detector", "reason": ""},
    {"at": "2026-03-05T17:49:00Z", "kind": "level_changed", "level": "danger", "note": "", "actor": "detector",
     "reason": ""},
    {"at": "2026-03-05T17:52:00Z", "kind": "grouped", "level": "", "note": "Meta incident of 2026-03-05 17:42",
     "actor": "detector", "reason": ""},
    {"at": "2026-03-05T18:01:00Z", "kind": "confirmed", "level": "", "note": "Media messages delayed",
     "actor": "provider", "reason": ""},
]  # fmt: skip
INCIDENT = {
    "id": 97,
    "kind": "group",
    "group": "meta",
    "started_at": "2026-03-05T17:42:00Z",
    "ended_at": None,
    "spikes": [
        {"id": 812, "service": "whatsapp", "region": "", "level": "danger", "verdict": "confirmed",
         "started_at": "2026-03-05T17:42:00Z", "ended_at": None},
        {"id": 815, "service": "instagram", "region": "", "level": "warning", "verdict": "suspected",
         "started_at": "2026-03-05T17:44:00Z", "ended_at": None},
    ],
}  # fmt: skip
SERIES = {
    "service": "whatsapp",
    "region": "",
    "interval": "1m",
    "buckets": [
        {"start": "2026-03-05T17:41:00Z", "reports": 22, "reporters": 21, "expected": 20.8, "low": 11.9, "high": 29.7},
        {"start": "2026-03-05T17:42:00Z", "reports": 96, "reporters": 90, "expected": 20.9, "low": 12.0, "high": 29.8},
    ],
}  # fmt: skip


TIME_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Started at or after (ISO 8601)"),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Started before (ISO 8601)"),
]
PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From a page's `next` or `previous` link"),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 200},
        description="Items per page, 1 to 200 (default 50)",
    ),
]
CSV_NOTE = " Add `?format=csv` or send `Accept: text/csv` for CSV."

services = extend_schema_view(
    list=extend_schema(
        summary="Services and their current status",
        description="Every active service with its current status, the same answer the site's banner "
        "gives: `level` is the worst level of its open spikes in any region (null when there is none), "
        "or `recovering` once every open spike is back within its usual range.",
        responses={
            200: _ok(api.ServiceSerializer, [SERVICE], many=True),
            **_bad("group", "There is no group with this slug."),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One service and its current status",
        responses={200: _ok(api.ServiceSerializer, SERVICE), **NOT_FOUND, **COMMON_ERRORS},
    ),
)
series = extend_schema(
    summary="A service's time series",
    description="Reports, distinct reporters, and the expected level with its usual band, per bucket. "
    "At most 7 days per request; default: the last 24 hours in 5-minute buckets. Answers carry an ETag; "
    "send it back in If-None-Match to get a 304 when nothing changed." + CSV_NOTE,
    parameters=[
        OpenApiParameter(
            "interval",
            OpenApiTypes.STR,
            enum=["1m", "5m", "15m", "1h"],
            description="Bucket size (default 5m)",
        ),
        OpenApiParameter(
            "from", OpenApiTypes.DATETIME, description="Start (ISO 8601; default: 24 hours before until)"
        ),
        OpenApiParameter(
            "until", OpenApiTypes.DATETIME, description="End, excluded (ISO 8601; default: now)"
        ),
        OpenApiParameter(
            "region", OpenApiTypes.STR, description="ISO 3166-1 code; leave out (or `all`) for all regions"
        ),
    ],
    responses={
        (200, "application/json"): _ok(api.SeriesSerializer, SERIES),
        (200, "text/csv"): _csv(
            "start,reports,reporters,expected,low,high\n2026-03-05T17:41:00Z,22,21,20.8,11.9,29.7\n"
        ),
        304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)"),
        **_bad("interval", "interval must be one of 1m, 5m, 15m, 1h, not '2m'."),
        **NOT_FOUND,
        **COMMON_ERRORS,
    },
)
problem_types = extend_schema_view(
    list=extend_schema(
        summary="Problem types",
        responses={
            200: _ok(api.ProblemTypeSerializer, [{"slug": "pictures", "name": "Pictures"}], many=True),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One problem type",
        responses={
            200: _ok(api.ProblemTypeSerializer, {"slug": "pictures", "name": "Pictures"}),
            **NOT_FOUND,
            **COMMON_ERRORS,
        },
    ),
)
regions = extend_schema_view(
    list=extend_schema(
        summary="Regions (ISO 3166-1 countries)",
        responses={
            200: _ok(api.RegionSerializer, [{"code": "IN", "name": "India"}], many=True),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One region",
        responses={
            200: _ok(api.RegionSerializer, {"code": "IN", "name": "India"}),
            **NOT_FOUND,
            **COMMON_ERRORS,
        },
    ),
)
live_status = extend_schema_view(
    list=extend_schema(
        summary="Every service with problems now",
        description="Services with at least one open spike, in any region, with their status (as on "
        "`services/`) and each open spike.",
        responses={
            200: _ok(
                api.LiveStatusSerializer,
                [{"slug": "whatsapp", "name": "WhatsApp", "level": "danger", "since": "2026-03-05T17:42:00Z",
                  "recovering_since": None, "regions": ["IN"], "spikes": [
                    {"id": 812, "region": "", "level": "danger", "verdict": "suspected",
                     "started_at": "2026-03-05T17:42:00Z", "peak_reports": 1240, "expected_reports": 21.5}]}],
                many=True,
            ),
            **COMMON_ERRORS,
        },
    ),
)  # fmt: skip
spikes = extend_schema_view(
    list=extend_schema(
        summary="Spikes (suspected outages), newest first",
        description="Cursor pages; follow `next`. `region` is an ISO code or `all` (the all-regions series). "
        "Answers carry an ETag." + CSV_NOTE,
        parameters=PAGE_PARAMETERS,
        responses={
            (200, "application/json"): _ok(
                api.SpikeSerializer, [SPIKE], many=True, description="A page of spikes"
            ),
            (200, "text/csv"): _csv(
                "id,service,service_name,region,level,verdict,confirmed_by,...\n812,whatsapp,WhatsApp,,danger,confirmed,provider,...\n"
            ),
            304: OpenApiResponse(description="Not modified"),
            **_bad("level", "Select a valid choice. red is not one of the available choices."),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One spike with its history",
        responses={
            200: _ok(api.SpikeDetailSerializer, SPIKE | {"history": HISTORY}),
            304: OpenApiResponse(description="Not modified"),
            **NOT_FOUND,
            **COMMON_ERRORS,
        },
    ),
)
incidents = extend_schema_view(
    list=extend_schema(
        summary="Incidents: spikes that belong together, newest first",
        parameters=PAGE_PARAMETERS,
        responses={
            200: _ok(api.IncidentSerializer, [INCIDENT], many=True, description="A page of incidents"),
            **_bad("group", "There is no group with this slug."),
            **COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One incident and its spikes",
        responses={200: _ok(api.IncidentSerializer, INCIDENT), **NOT_FOUND, **COMMON_ERRORS},
    ),
)

ENDPOINT = {
    "id": 3,
    "url": "https://hooks.example-isp.net/outagewatch",
    "services": ["whatsapp", "instagram"],
    "groups": [],
    "regions": ["IN", "all"],
    "min_level": "danger",
    "secret": "9f2c4e...",
    "is_active": True,
    "consecutive_failures": 0,
    "disabled_at": None,
    "created_at": "2026-03-01T09:00:00Z",
}
_WEBHOOK_AUTH = {
    401: _error("No key, or an unknown or revoked one", "Authentication credentials were not provided."),
    403: _error(
        "Key without the webhooks scope", "Webhook endpoints need an API key with the 'webhooks' scope."
    ),
    429: COMMON_ERRORS[429],
}


def _endpoint_ok() -> OpenApiResponse:
    return _ok(WebhookEndpointSerializer, ENDPOINT, description="The endpoint")


def webhook_endpoints(cls):
    bad_url = _bad(
        "url", "The host 'intranet.local' is a private or local address (10.0.0.5); use a public one."
    )
    return extend_schema_view(
        list=extend_schema(
            summary="Your webhook endpoints",
            responses={200: _ok(WebhookEndpointSerializer, [ENDPOINT], many=True), **_WEBHOOK_AUTH},
        ),
        create=extend_schema(
            summary="Register a webhook endpoint",
            description="Events: spike.opened, spike.level_changed, spike.resolved, incident.opened. "
            "Each delivery is signed: see [the partner API guide](/developers/#webhooks).",
            examples=[
                OpenApiExample(
                    "Danger-level spikes of two services, in India or worldwide",
                    {
                        "url": ENDPOINT["url"],
                        "services": ["whatsapp", "instagram"],
                        "regions": ["IN", "all"],
                        "min_level": "danger",
                    },
                    request_only=True,
                )
            ],
            responses={201: _endpoint_ok(), **bad_url, **_WEBHOOK_AUTH},
        ),
        retrieve=extend_schema(
            summary="One of your webhook endpoints",
            responses={200: _endpoint_ok(), **NOT_FOUND, **_WEBHOOK_AUTH},
        ),
        partial_update=extend_schema(
            summary="Change a webhook endpoint",
            responses={200: _endpoint_ok(), **bad_url, **NOT_FOUND, **_WEBHOOK_AUTH},
        ),
        destroy=extend_schema(
            summary="Remove a webhook endpoint", responses={204: None, **NOT_FOUND, **_WEBHOOK_AUTH}
        ),
    )(cls)


def empty_query_parameters_are_absent(result: dict, generator, request, public) -> dict:
    """A postprocessing hook: every query parameter of the API may be sent empty
    (`?until=`), which means the same as leaving it out; say so in the schema."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result
