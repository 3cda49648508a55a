"""A live outage for the browser tests, on the real clock: a Meta-wide outage in
progress (WhatsApp in all regions and in Brazil, India and Britain, Instagram),
an intake gap earlier in the day, counting a minute behind, a quiet service in
one country, and a Netflix outage back at its usual level (recovering)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from reports.models import Service
from reports.tests.factories import ServiceFactory, ServiceGroupFactory
from spikes.counting import count_range, floor_minute
from spikes.detection import DetectorState, flat_profile
from spikes.incidents import place
from spikes.models import IntakeGap, PipelineState, Series, SeriesBaseline, Spike, SpikeChange
from spikes.tests.factories import add_reports

OUTAGE_MINUTES = 25
GAP_MINUTES = 6
# Distinct reporters a minute during the outage, by country.
OUTAGE_RATES = {"BR": 20, "IN": 15, "GB": 8, "US": 5}


@dataclass
class LiveOutage:
    now: datetime  # the current minute
    counted_until: datetime
    whatsapp: Service
    instagram: Service
    netflix: Service
    spike: Spike  # WhatsApp, all regions
    regional: list[Spike]  # WhatsApp in Brazil, India, Britain
    instagram_spike: Spike
    netflix_spike: Spike
    gap_start: datetime
    past: Spike  # a WhatsApp outage that ended yesterday


def baseline(service: Service, per_minute: float, region: str = "") -> Series:
    series, _ = Series.objects.get_or_create(service=service, region=region)
    SeriesBaseline.objects.update_or_create(
        series=series, defaults={"profile": flat_profile(per_minute, 60, alpha=0.05).to_dict()}
    )
    series.baseline_updated_at = timezone.now() - timedelta(hours=1)
    series.save(update_fields=["baseline_updated_at"])
    return series


def spike(service: Service, started: datetime, region: str = "", level: str = "danger", **fields) -> Spike:
    series, _ = Series.objects.get_or_create(service=service, region=region)
    made = Spike.objects.create(
        series=series, service=service, region=region, level=level, started_at=started,
        detected_at=started + timedelta(minutes=3), peak_at=started + timedelta(minutes=8),
        peak_reports=fields.pop("peak_reports", 48), expected_reports=fields.pop("expected_reports", 2.0),
        problems={"pictures": 0.6, "messages": 0.4}, regions={"BR": 0.4, "IN": 0.3, "GB": 0.2, "US": 0.1},
        **fields,
    )  # fmt: skip
    place(made)  # its outage and incident, as the detection pass decides them
    SpikeChange.objects.create(spike=made, at=made.detected_at, kind="opened", level="warning")
    if level == "danger":
        SpikeChange.objects.create(
            spike=made, at=made.detected_at + timedelta(minutes=2), kind="level_changed", level="danger"
        )
    if made.ended_at:
        SpikeChange.objects.create(
            spike=made, at=made.ended_at + timedelta(hours=1), kind="resolved", level=level
        )
    return made


def build() -> LiveOutage:
    now = floor_minute(timezone.now())
    meta = ServiceGroupFactory(slug="meta", name="Meta")
    whatsapp = ServiceFactory(
        slug="whatsapp",
        name="WhatsApp",
        group=meta,
        problems=["messages", "pictures", "voice-messages", "login"],
    )
    instagram = ServiceFactory(
        slug="instagram", name="Instagram", group=meta, problems=["feed", "login", "stories"]
    )
    netflix = ServiceFactory(
        slug="netflix", name="Netflix", category="video", problems=["streaming", "login"]
    )
    ServiceFactory(slug="signal", name="Signal", problems=["messages"])
    onset = now - timedelta(minutes=OUTAGE_MINUTES)
    gap_start = now - timedelta(hours=3)

    baseline(whatsapp, 2.0)
    for code in OUTAGE_RATES:
        baseline(whatsapp, 0.4, region=code)
    baseline(instagram, 1.0)
    baseline(netflix, 0.05, region="DE")
    baseline(netflix, 0.3)
    # Six hours of usual reports, with nobody able to report in the intake gap.
    start = now - timedelta(hours=6)
    for minutes_from, minutes in ((0, 180), (180 + GAP_MINUTES, 360 - 180 - GAP_MINUTES)):
        begin = start + timedelta(minutes=minutes_from)
        add_reports(whatsapp, begin, minutes, 2, region="US", reporter="usual")
        add_reports(instagram, begin, minutes, 1, region="US", reporter="igu")
    IntakeGap.objects.bulk_create(
        IntakeGap(minute=gap_start + timedelta(minutes=m)) for m in range(GAP_MINUTES)
    )
    # The outage, and the minute in progress already reported but not counted yet.
    for code, rate in OUTAGE_RATES.items():
        add_reports(
            whatsapp, onset, OUTAGE_MINUTES + 1, rate, region=code, problem="pictures", reporter=f"out{code}"
        )
    add_reports(
        instagram,
        onset + timedelta(minutes=3),
        OUTAGE_MINUTES - 2,
        12,
        region="BR",
        problem="feed",
        reporter="ig",
    )
    add_reports(netflix, now - timedelta(minutes=50), 12, 6, region="DE", problem="streaming", reporter="nf")
    count_range(start - timedelta(minutes=1), now)
    PipelineState.objects.update_or_create(pk=1, defaults={"counted_until": now})

    overall = spike(whatsapp, onset + timedelta(minutes=1), peak_reports=50)
    regional = [
        spike(whatsapp, onset, region="BR", peak_reports=20, expected_reports=0.4),
        spike(whatsapp, onset + timedelta(minutes=1), region="IN", peak_reports=15, expected_reports=0.4),
        spike(
            whatsapp,
            onset + timedelta(minutes=4),
            region="GB",
            level="warning",
            peak_reports=8,
            expected_reports=0.4,
        ),
    ]
    insta = spike(instagram, onset + timedelta(minutes=3), peak_reports=13, expected_reports=1.0)
    # Netflix in Germany: back at its usual level for half an hour, still open.
    flix = spike(netflix, now - timedelta(minutes=50), region="DE", peak_reports=6, expected_reports=0.05)
    quiet = DetectorState(level="danger", quiet_start=(now - timedelta(minutes=38)).timestamp(), quiet_len=30)
    Series.objects.filter(pk=flix.series_id).update(detector_state=quiet.to_dict())
    # What the detection pass counts into the spikes every few minutes.
    for made in (overall, *regional, insta, flix):
        made.people = made.count_people(now)
        made.save(update_fields=["people"])
    past = spike(
        whatsapp,
        now - timedelta(days=1, hours=3),
        ended_at=now - timedelta(days=1, hours=2),
        verdict="suspected",
    )
    for made in (overall, *regional, insta, flix, past):
        made.refresh_from_db()  # grouping updated other copies of these rows
    return LiveOutage(now, now, whatsapp, instagram, netflix, overall, regional, insta, flix, gap_start, past)
