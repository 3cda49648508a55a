"""What an incident page shows: the services that failed together (one owner's,
or many at once), each with its outage and its chart over the same hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.utils.safestring import SafeString

from pages import charts, html_parts
from pages.outages import OutageEntry
from pages.spikepage import BUCKET_BY_SPAN, CONTEXT
from pages.templatetags.pages_tags import INTERVAL_WORDS
from spikes import timeseries
from spikes.models import ALL_REGIONS, Incident, Level, Spike


@dataclass(frozen=True)
class Member:
    outage: OutageEntry
    chart_svg: SafeString


@dataclass(frozen=True)
class IncidentPage:
    members: list[Member]
    start: datetime
    end: datetime | None
    level: str

    @property
    def level_label(self) -> str:
        return Level(self.level).label


def build(incident: Incident, now: datetime, names: dict[str, str], zone: tzinfo) -> IncidentPage:
    """Each service's outage in the incident (its regional spikes folded in), with
    a chart of its reports from an hour before the start to the end (or now)."""
    spikes = list(
        incident.spikes.not_dismissed()
        .select_related("service", "related_to__service")
        .order_by("started_at")
    )
    by_service: dict[int, list[Spike]] = {}
    for spike in spikes:
        by_service.setdefault(spike.service_id, []).append(spike)
    ends = [s.ended_at for s in spikes]
    end = None if any(e is None for e in ends) or not ends else max(ends)
    start = min((s.started_at for s in spikes), default=incident.started_at)
    first = start - CONTEXT
    last = min((end or now) + CONTEXT, now)
    seconds = next((s for limit, s in BUCKET_BY_SPAN if last - first <= limit), 3600)
    first = min(first, last - timedelta(seconds=seconds))
    counted = timeseries.counted_until(now)
    members = []
    for group in by_service.values():
        group.sort(key=lambda s: (s.region != ALL_REGIONS, s.started_at))
        head = group[0]
        outage = OutageEntry(group, names)
        rows = timeseries.buckets(head.service_id, first, last, seconds, region=head.region, counted=counted)
        chart = charts.line_chart(rows, width=560, height=180, x_tick_count=5, zone=zone)
        title = f"{head.service.name}: user reports during the incident"
        per = INTERVAL_WORDS[next(k for k, v in timeseries.INTERVALS.items() if v == seconds)]
        long_range = last - first > timedelta(days=1)
        svg = html_parts.chart_svg(chart, rows, title, per, long_range, ids=f"chart-{head.pk}", table=False)
        members.append(Member(outage, svg))
    level = Level.DANGER if any(s.level == Level.DANGER for s in spikes) else Level.WARNING
    return IncidentPage(members, start, end, level)
