"""What a provider says now about its service, for every face that shows it (the
service page banner, the API, feeds): one answer, written once.

The provider's word is only ever what its page said at a recent successful
poll: a page that keeps failing is "unreachable since ...", a page we have not
read lately is "not checked lately", and neither is ever shown as "operational".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch

from reports.models import Service
from statuspages.models import Indicator, ProviderIncident, StatusSource

# What a reader is told, by the page's indicator.
SAYS = {
    Indicator.NONE: "All systems operational",
    Indicator.MINOR: "Degraded performance",
    Indicator.MAJOR: "Partial outage",
    Indicator.CRITICAL: "Major outage",
    Indicator.MAINTENANCE: "Under maintenance",
}


class State:
    OPERATIONAL = "operational"
    PROBLEMS = "problems"  # an incident, a component down
    MAINTENANCE = "maintenance"
    UNREACHABLE = "unreachable"  # the page keeps failing
    STALE = "stale"  # not read lately (polls stopped, or not read yet)


@dataclass
class ProviderWord:
    source: StatusSource
    state: str
    says: str  # "Degraded performance", "All systems operational"...
    since: datetime | None = None  # the incident's start, or the first failure
    components: list[str] = field(default_factory=list)  # affected, by name
    incidents: list[ProviderIncident] = field(default_factory=list)  # going on
    upcoming: list[ProviderIncident] = field(default_factory=list)  # maintenance yet to come

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def link(self) -> str:
        return self.source.link

    @property
    def reports_problems(self) -> bool:
        return self.state == State.PROBLEMS

    @property
    def says_operational(self) -> bool:
        return self.state == State.OPERATIONAL

    @property
    def is_readable(self) -> bool:
        return self.state not in (State.UNREACHABLE, State.STALE)


def _word(source: StatusSource, incidents: list[ProviderIncident], now: datetime) -> ProviderWord:
    if source.is_unreachable:
        return ProviderWord(source, State.UNREACHABLE, "Status page unreachable", since=source.failing_since)
    if not source.is_fresh(now):
        return ProviderWord(source, State.STALE, "Not checked lately", since=source.last_success_at)
    going_on = [
        i for i in incidents if i.resolved_at is None and not (i.is_maintenance and i.status == "scheduled")
    ]
    upcoming = [
        i for i in incidents if i.resolved_at is None and i.is_maintenance and i.status == "scheduled"
    ]
    problems = [i for i in going_on if not i.is_maintenance]
    components = [c["name"] for c in source.affected_components]
    if problems or (source.indicator not in ("", Indicator.NONE, Indicator.MAINTENANCE)):
        state = State.PROBLEMS
    elif going_on or source.indicator == Indicator.MAINTENANCE:
        state = State.MAINTENANCE
    else:
        state = State.OPERATIONAL
    says = SAYS.get(source.indicator, "") or ("Degraded performance" if problems else SAYS[Indicator.NONE])
    if state == State.PROBLEMS and source.indicator in ("", Indicator.NONE):
        says = "Incident reported"
    since = min((i.started_at for i in (problems or going_on)), default=None)
    return ProviderWord(source, state, says, since, components, going_on, upcoming)


def _sources(services: Iterable[Service]):
    unresolved = ProviderIncident.objects.filter(resolved_at__isnull=True).order_by("started_at")
    return (
        StatusSource.objects.filter(service__in=list(services), is_active=True)
        .prefetch_related(Prefetch("incidents", queryset=unresolved, to_attr="unresolved"))
        .order_by("service_id", "pk")
    )


def sources_of(service: Service) -> list[StatusSource]:
    """The service's active status sources with their unresolved incidents, kept
    on the service object: a page asks for its word and for its record."""
    if "_status_sources" not in service.__dict__:
        service.__dict__["_status_sources"] = list(_sources([service]))
    return service.__dict__["_status_sources"]


def provider_word(service: Service, now: datetime) -> ProviderWord | None:
    """The provider's word on `service`, from its first active status source; None
    when it has none."""
    sources = sources_of(service)
    return _word(sources[0], sources[0].unresolved, now) if sources else None


def words_for(services: Iterable[Service], now: datetime) -> dict[int, ProviderWord]:
    """{service id: its provider's word}, in two queries however many services."""
    words: dict[int, ProviderWord] = {}
    for source in _sources(services):
        if source.service_id not in words:
            words[source.service_id] = _word(source, source.unresolved, now)
    return words
