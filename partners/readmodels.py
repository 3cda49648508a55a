"""What the read API shows of services: their current status, from open spikes.

A service's status is that of its open spike in all regions together (region ""):
a regional spike alone does not make the whole service "down", but it is listed in
the live status with its region.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reports.models import Service, ServiceProblem
from spikes.models import ALL_REGIONS, Spike

OK = "ok"


def open_spikes_by_service() -> dict[int, Spike]:
    """Each service's open spike in all regions, in one query: open spikes are few,
    and one look-up beats a correlated subquery per service (60 ms for the catalog)."""
    spikes = (
        Spike.objects.open()
        .filter(region=ALL_REGIONS)
        .only("pk", "service_id", "level", "verdict", "started_at")
    )
    return {spike.service_id: spike for spike in sorted(spikes, key=lambda s: s.started_at)}


def catalog() -> QuerySet[Service]:
    return Service.objects.active().select_related("group").order_by("slug")


def problem_slugs_by_service() -> dict[int, list[str]]:
    """Every service's problem types in their order, as slugs, in one query of
    tuples: ~900 rows, which as model instances cost more than the rest of the request."""
    slugs: dict[int, list[str]] = {}
    for service_id, slug in ServiceProblem.objects.order_by("service_id", "position", "id").values_list(
        "service_id", "problem_type__slug"
    ):
        slugs.setdefault(service_id, []).append(slug)
    return slugs


def with_problems() -> QuerySet[Service]:
    """Services with at least one open spike in any region, each with its open spikes."""
    open_spikes = Spike.objects.open().order_by("region", "-started_at")
    return (
        Service.objects.active()
        .filter(pk__in=Spike.objects.open().values("service_id"))
        .prefetch_related(Prefetch("spikes", queryset=open_spikes, to_attr="open_spikes"))
        .order_by("slug")
    )


def level_of(service: Service) -> str | None:
    """The level of the open spike in all regions, else the worst regional one."""
    spikes = getattr(service, "open_spikes", [])
    for spike in spikes:
        if spike.region == ALL_REGIONS:
            return spike.level
    levels = {s.level for s in spikes}
    return "danger" if "danger" in levels else ("warning" if levels else None)
