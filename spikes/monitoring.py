"""What the pipeline tells the operator: the "detector" check of /healthz and the
gauges of /metrics read from the database. SpikesConfig.ready registers them with
outagewatch.health and outagewatch.metrics, which import no app.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from spikes.models import Level, PipelineState, Spike


def _last_pass_at() -> datetime | None:
    return PipelineState.objects.filter(pk=1).values_list("last_pass_at", flat=True).first()


def check_detector() -> str:
    """The last detection pass ended at most DETECTOR_STALE_SECONDS ago. Beat runs a
    pass every minute; a stale pass means beat or the workers are down, and the site
    would miss outages while still taking reports."""
    last = _last_pass_at()
    if last is None:
        return "no detection pass has run yet (is Celery beat running?)"
    age = (timezone.now() - last).total_seconds()
    limit = settings.DETECTOR_STALE_SECONDS
    if age > limit:
        return f"stale: the last detection pass ended {age:.0f} s ago (limit {limit} s)"
    return "ok"


class PipelineCollector(Collector):
    """Gauges read from the database at scrape time, so they are right whichever
    process answers the scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        open_spikes = GaugeMetricFamily(
            "outagewatch_open_spikes", "Spikes open now (suspected or confirmed), by level.", labels=["level"]
        )
        by_level = dict(
            Spike.objects.open().values("level").annotate(n=Count("id")).values_list("level", "n")
        )
        for level in Level.values:
            open_spikes.add_metric([level], by_level.get(level, 0))
        yield open_spikes

        last = _last_pass_at()
        age = GaugeMetricFamily(
            "outagewatch_detection_last_pass_age_seconds",
            "Seconds since the last detection pass ended (NaN before the first one).",
        )
        age.add_metric([], (timezone.now() - last).total_seconds() if last else float("nan"))
        yield age


COLLECTOR = PipelineCollector()
