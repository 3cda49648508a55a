"""The read endpoints: thin viewsets on PartnerViewSet."""

from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from partners import readmodels
from partners.api import filters, schema, serializers
from partners.api.base import ParameterCursorPagination, PartnerBaseViewSet, PartnerViewSet
from reports.models import ProblemType, Region, Service
from spikes.models import Incident, Spike, SpikeChange
from spikes.timeseries import RangeError, buckets, parse_interval


@schema.services
class ServiceViewSet(PartnerViewSet):
    queryset = readmodels.catalog()
    serializer_class = serializers.ServiceSerializer
    filterset_class = filters.ServiceFilter
    lookup_field = "slug"
    csv_actions = etag_actions = ("series",)
    csv_fields = ["start", "reports", "reporters", "expected", "low", "high"]

    @schema.series
    @action(detail=True, methods=["get"], filterset_class=None)
    def series(self, request: Request, slug: str) -> Response:
        # An empty parameter is the same as leaving it out, as for every list.
        given = {name: value for name, value in request.query_params.items() if value != ""}
        query = serializers.SeriesQuerySerializer(data=given)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        service = self.get_object()
        try:
            rows = buckets(
                service, params["from"], params["until"], parse_interval(params["interval"]), params["region"]
            )
        except RangeError as bad_range:
            raise exceptions.ValidationError({"from": [f"{bad_range}."]}) from None
        body = {
            "service": service.slug,
            "region": params["region"],
            "interval": params["interval"],
            "buckets": serializers.BucketSerializer(rows, many=True).data,
        }
        return Response(body)

    def get_queryset(self):
        if self.action == "series":  # the series needs the service's id, nothing else
            return Service.objects.active().only("pk", "slug")
        return super().get_queryset()

    def get_serializer_context(self) -> dict:
        if self.action not in ("list", "retrieve"):
            return super().get_serializer_context()
        return super().get_serializer_context() | {
            "statuses": readmodels.statuses_by_service(),
            "problem_types": readmodels.problem_slugs_by_service(),
        }


@schema.problem_types
class ProblemTypeViewSet(PartnerViewSet):
    queryset = ProblemType.objects.order_by("slug")
    serializer_class = serializers.ProblemTypeSerializer
    lookup_field = "slug"


@schema.regions
class RegionViewSet(PartnerViewSet):
    queryset = Region.objects.order_by("code")
    serializer_class = serializers.RegionSerializer
    lookup_field = "code"


@schema.live_status
class LiveStatusViewSet(mixins.ListModelMixin, PartnerBaseViewSet):
    serializer_class = serializers.LiveStatusSerializer

    def get_queryset(self):
        return readmodels.with_problems()


@schema.spikes
class SpikeViewSet(PartnerViewSet):
    queryset = Spike.objects.select_related("service")
    filterset_class = filters.SpikeFilter
    pagination_class = ParameterCursorPagination
    csv_actions = ("list",)
    etag_actions = ("list", "retrieve")
    csv_fields = serializers.SpikeSerializer.Meta.fields

    def get_serializer_class(self):
        return serializers.SpikeDetailSerializer if self.action == "retrieve" else serializers.SpikeSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return self.queryset.prefetch_related(
                Prefetch("changes", queryset=SpikeChange.objects.order_by("at", "id"))
            )
        return self.queryset


@schema.incidents
class IncidentViewSet(PartnerViewSet):
    queryset = Incident.objects.select_related("group").prefetch_related(
        Prefetch("spikes", queryset=Spike.objects.select_related("service").order_by("started_at"))
    )
    serializer_class = serializers.IncidentSerializer
    filterset_class = filters.IncidentFilter
    pagination_class = ParameterCursorPagination
