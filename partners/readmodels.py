"""What the read API shows of services: their current status, from open spikes.

A service's status is that of its open spike in all regions together (region ""):
a regional spike alone does not make the whole service "down", but it is listed in
the live status with its region.
"""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from reports.models import Service, ServiceProblem
from spikes.models import ALL_REGIONS, Spike

OK = "ok"


def with_status(services: QuerySet[Service]) -> QuerySet[Service]:
    """Annotate open_spike_id, open_level and open_status (None when all is well)."""
    open_spike = (
        Spike.objects.open().filter(service=OuterRef("pk"), region=ALL_REGIONS).order_by("-started_at")
    )
    return services.annotate(
        open_spike_id=Subquery(open_spike.values("pk")[:1]),
        open_level=Subquery(open_spike.values("level")[:1]),
        open_status=Subquery(open_spike.values("status")[:1]),
    )


def catalog() -> QuerySet[Service]:
    return with_status(
        Service.objects.active()
        .select_related("group")
        .prefetch_related(
            Prefetch("service_problems", queryset=ServiceProblem.objects.select_related("problem_type"))
        )
        .order_by("slug")
    )


def with_problems() -> QuerySet[Service]:
    """Services with at least one open spike in any region, each with its open spikes."""
    open_spikes = Spike.objects.open().order_by("region", "-started_at")
    return (
        with_status(Service.objects.active().filter(pk__in=Spike.objects.open().values("service_id")))
        .select_related("group")
        .prefetch_related(Prefetch("spikes", queryset=open_spikes, to_attr="open_spikes"))
        .order_by("slug")
    )


def level_of(service: Service) -> str | None:
    """The worst level among the service's open spikes (all regions first)."""
    if getattr(service, "open_level", None):
        return service.open_level
    levels = {s.level for s in getattr(service, "open_spikes", [])}
    return "danger" if "danger" in levels else ("warning" if levels else None)
