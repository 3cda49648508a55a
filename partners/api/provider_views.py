"""The providers' side: their incidents (with updates, and the spikes they were
matched to) and what each provider's status page says now, with its record."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from partners.api import schema
from partners.api.base import ParameterCursorPagination, PartnerBaseViewSet, PartnerViewSet
from partners.api.filters import UTCDateTimeFilter
from partners.api.serializers_providers import (
    ProviderIncidentDetailSerializer,
    ProviderIncidentSerializer,
    ProviderStatusSerializer,
)
from reports.models import Service, ServiceGroup
from statuspages.acknowledgements import records_for
from statuspages.models import IncidentMatch, ProviderIncident
from statuspages.word import words_for


class ProviderIncidentFilter(filters.FilterSet):
    service = filters.ModelChoiceFilter(
        queryset=Service.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": "There is no service with this slug; see /api/v1/services/."},
    )
    group = filters.ModelChoiceFilter(
        field_name="service__group",
        queryset=ServiceGroup.objects.all(),
        to_field_name="slug",
        error_messages={"invalid_choice": "There is no group with this slug; see the services' group field."},
    )
    kind = filters.ChoiceFilter(
        choices=[("incident", "incident"), ("maintenance", "maintenance")], method="filter_kind"
    )
    going_on = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_going_on",
        help_text="true: not resolved yet; false: resolved (or maintenance yet to come)",
    )
    since = UTCDateTimeFilter(field_name="started_at", lookup_expr="gte", help_text="Started at or after")
    until = UTCDateTimeFilter(field_name="started_at", lookup_expr="lt", help_text="Started before")

    class Meta:
        model = ProviderIncident
        fields = ["service", "group", "kind", "going_on", "since", "until"]

    def filter_kind(self, queryset, name: str, value: str):
        return queryset.filter(is_maintenance=value == "maintenance")

    def filter_going_on(self, queryset, name: str, value: str):
        going_on = queryset.going_on()
        return going_on if value == "true" else queryset.exclude(pk__in=going_on.values("pk"))


EXAMPLE = {
    "id": 41,
    "service": "whatsapp",
    "source": "WhatsApp's status page",
    "kind": "incident",
    "provider_id": "01HQ7ZK",
    "title": "Media messages delayed",
    "status": "identified",
    "impact": "minor",
    "components": ["Media"],
    "regions": [],
    "started_at": "2026-03-05T17:55:00Z",
    "acknowledged_at": "2026-03-05T18:01:00Z",
    "updated_at": "2026-03-05T18:20:00Z",
    "resolved_at": None,
    "scheduled_for": None,
    "scheduled_until": None,
    "url": "https://metastatus.com/incidents/01HQ7ZK",
    "spikes": [812],
}
UPDATES = [
    {"at": "2026-03-05T18:01:00Z", "status": "investigating", "body": "We are looking into delays of media."},
    {"at": "2026-03-05T18:20:00Z", "status": "identified", "body": "A fix is being rolled out."},
]
STATUS = {
    "service": "whatsapp",
    "source": "WhatsApp's status page",
    "link": "https://metastatus.com/",
    "state": "problems",
    "says": "Degraded performance",
    "since": "2026-03-05T17:55:00Z",
    "components": ["Media"],
    "incidents": [41],
    "record": {
        "days": 90,
        "outages": 9,
        "acknowledged": 7,
        "median_lag_minutes": 23.0,
        "sentence": "WhatsApp's status page acknowledged 7 of 9 outages, a median 23 minutes after users "
        "reported them (last 90 days).",
    },
}


@extend_schema_view(
    list=extend_schema(
        summary="The providers' incidents and maintenances, newest first",
        description="As read from each service's official status page, with the spikes they were matched to.",
        parameters=schema.PAGE_PARAMETERS,
        responses={
            200: schema._ok(
                ProviderIncidentSerializer, [EXAMPLE], many=True, description="A page of incidents"
            ),
            **schema._bad("service", "There is no service with this slug; see /api/v1/services/."),
            **schema.COMMON_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One provider incident with every update",
        responses={
            200: schema._ok(ProviderIncidentDetailSerializer, EXAMPLE | {"updates": UPDATES}),
            **schema.NOT_FOUND,
            **schema.COMMON_ERRORS,
        },
    ),
)
class ProviderIncidentViewSet(PartnerViewSet):
    filterset_class = ProviderIncidentFilter
    pagination_class = ParameterCursorPagination
    etag_actions = ("list", "retrieve")

    def get_queryset(self):
        incidents = ProviderIncident.objects.select_related("service", "source").prefetch_related(
            Prefetch("matches", queryset=IncidentMatch.objects.only("incident_id", "spike_id"))
        )
        return incidents.prefetch_related("updates") if self.action == "retrieve" else incidents

    def get_serializer_class(self):
        return ProviderIncidentDetailSerializer if self.action == "retrieve" else ProviderIncidentSerializer


@extend_schema_view(
    list=extend_schema(
        summary="What each provider's status page says now, and its record",
        description="Every active service with an official status source: its state (an unreachable page "
        "or one not read lately is never `operational`) and how often and how fast the provider "
        "acknowledged the outages users reported in the last 90 days.",
        responses={200: schema._ok(ProviderStatusSerializer, [STATUS], many=True), **schema.COMMON_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One service's provider: its status page now, and its record",
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The service's slug")],
        responses={
            200: schema._ok(ProviderStatusSerializer, STATUS),
            **schema.NOT_FOUND,
            **schema.COMMON_ERRORS,
        },
    ),
)
class ProviderStatusViewSet(PartnerBaseViewSet):
    serializer_class = ProviderStatusSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return (
            Service.objects.active()
            .filter(status_sources__is_active=True)
            .distinct()
            .only("pk", "slug")
            .order_by("slug")
        )

    def _rows(self, services: list[Service]) -> list:
        now = timezone.now()
        words, records = words_for(services, now), records_for(services, now)
        return [(s.slug, words[s.pk], records.get(s.pk)) for s in services if s.pk in words]

    def list(self, request: Request) -> Response:
        return Response(ProviderStatusSerializer(self._rows(list(self.get_queryset())), many=True).data)

    def retrieve(self, request: Request, slug: str) -> Response:
        service = get_object_or_404(self.get_queryset(), slug=slug)
        return Response(ProviderStatusSerializer(self._rows([service])[0]).data)
