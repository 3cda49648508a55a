"""What the read API shows of services: their current status, from open spikes.

"Is this service down?" is answered by the spikes app (SpikeQuerySet.statuses and
ServiceStatus: which spikes count, how regional spikes roll up, when a service is
"recovering"); the API only asks it, as the site, the feeds and the webhooks do.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from reports.models import Service, ServiceProblem
from spikes.models import ServiceStatus, Spike

OK = "ok"


def statuses_by_service() -> dict[int, ServiceStatus]:
    """Every service's status in one query (services missing from it are OK): open
    spikes are few, and one look-up beats a correlated subquery per service."""
    return Spike.objects.statuses()


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
    open_spikes = Spike.objects.open().with_recovery().order_by("region", "-started_at")
    return (
        Service.objects.active()
        .filter(pk__in=Spike.objects.open().values("service_id"))
        .prefetch_related(Prefetch("spikes", queryset=open_spikes, to_attr="open_spikes"))
        .order_by("slug")
    )


def status_of(service: Service) -> ServiceStatus:
    """The status of a service from with_problems(), from its prefetched spikes."""
    return ServiceStatus.of(getattr(service, "open_spikes", []))
