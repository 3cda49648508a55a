"""Is this service down? One rule (spikes.models.ServiceStatus), asked of the spikes."""

from datetime import timedelta

import pytest

from reports.tests.factories import ServiceFactory
from spikes.detection import DetectorConfig, DetectorState, step
from spikes.incidents import join_outage
from spikes.models import Series, Spike, StatusLevel
from spikes.tests.conftest import T0

NOW = T0 + timedelta(hours=12)


@pytest.fixture
def service(db):
    return ServiceFactory(slug="whatsapp", name="WhatsApp")


def spike(service, minutes_ago, region="", level="danger", ended=False, **fields):
    series, _ = Series.objects.get_or_create(service=service, region=region)
    started = NOW - timedelta(minutes=minutes_ago)
    made = Spike.objects.create(
        series=series, service=service, region=region, level=level, started_at=started,
        detected_at=started + timedelta(minutes=3), peak_at=started + timedelta(minutes=5),
        peak_reports=50, expected_reports=2.0, ended_at=NOW - timedelta(minutes=1) if ended else None,
        **fields,
    )  # fmt: skip
    join_outage(made)
    return made


def back_to_normal(made, minutes_ago):
    """The detector's state of the spike's series: open, reports back at their
    usual level since that minute."""
    quiet = (NOW - timedelta(minutes=minutes_ago)).timestamp()
    state = DetectorState(
        level=made.level, opened_at=made.started_at.timestamp(), quiet_start=quiet, quiet_len=3
    )
    Series.objects.filter(pk=made.series_id).update(detector_state=state.to_dict())


def status(service, region=None):
    return Spike.objects.status_for(service, region)


def test_a_service_without_open_spikes_is_ok(service):
    spike(service, 120, ended=True)
    spike(service, 30, verdict="dismissed")

    assert status(service).level == StatusLevel.OK
    assert status(service).since is None and status(service).lead is None


def test_the_all_regions_spike_speaks_for_the_service_and_regions_are_named(service):
    overall = spike(service, 20, level="warning")
    spike(service, 25, region="BR")

    answer = status(service)

    # The worst level of any open spike: Brazil's problems detected.
    assert (answer.level, answer.lead, answer.regions) == (StatusLevel.DANGER, overall, ["BR"])
    assert answer.since == NOW - timedelta(minutes=25) and not answer.is_regional


def test_regional_spikes_alone_roll_up_to_the_service(service):
    spike(service, 20, region="IN", level="warning")
    brazil = spike(service, 10, region="BR")

    answer = status(service)

    assert (answer.level, answer.lead, answer.regions, answer.is_regional) == (
        StatusLevel.DANGER, brazil, ["BR", "IN"], True,
    )  # fmt: skip
    assert status(service, region="IN").level == StatusLevel.WARNING
    assert status(service, region="DE").level == StatusLevel.OK


def test_a_spike_whose_reports_are_still_high_is_not_recovering(service):
    """The detector stores "not back to normal yet" as a JSON null; SQLite's JSON
    functions hand that back as the text 'null' (which once made every page 500
    during an outage on the embedded default)."""
    opened = spike(service, 20)
    state = DetectorState(level=opened.level, opened_at=opened.started_at.timestamp(), quiet_start=None)
    Series.objects.filter(pk=opened.series_id).update(detector_state=state.to_dict())

    answer = status(service)

    assert (answer.level, answer.recovering_since) == (StatusLevel.DANGER, None)
    assert Spike.objects.with_recovery().get(pk=opened.pk).back_to_normal_at is None


def test_a_service_is_recovering_once_every_open_spike_is_back_to_normal(service):
    overall = spike(service, 60)
    regional = spike(service, 55, region="GB", level="warning")
    back_to_normal(overall, 12)

    # Britain still spikes: its level stands.
    assert status(service).level == StatusLevel.WARNING

    back_to_normal(regional, 8)
    answer = status(service)

    assert answer.level == StatusLevel.RECOVERING
    assert answer.recovering_since == NOW - timedelta(minutes=8)  # the last one back
    assert answer.since == NOW - timedelta(minutes=60)


def test_back_to_normal_is_the_detectors_own_judgement(service):
    """The minute the banner says "recovering since" is the one the detector will
    give as the spike's end: the same quiet spell, read from its state."""
    config = DetectorConfig()
    state, opened = DetectorState(), None
    start = NOW - timedelta(minutes=80)
    for minute in range(80):
        observed = 60.0 if 20 <= minute < 40 else 1.0
        state, events = step(config, state, observed, 1.0, 0.05, start + timedelta(minutes=minute))
        opened = opened or next((e for e in events if e.kind == "opened"), None)
    assert opened is not None and state.is_open and state.quiet_start is not None
    made = spike(service, 60)
    Series.objects.filter(pk=made.series_id).update(detector_state=state.to_dict())

    answer = status(service)

    assert answer.level == StatusLevel.RECOVERING
    # Reports fell back at minute 40 of the run.
    assert answer.recovering_since == start + timedelta(minutes=40)
    # ... and the detector, an hour later, ends the spike there.
    resolved = None
    for minute in range(80, 150):
        state, events = step(config, state, 1.0, 1.0, 0.05, start + timedelta(minutes=minute))
        resolved = resolved or next((e for e in events if e.kind == "resolved"), None)
    assert resolved is not None and resolved.end == answer.recovering_since


def test_statuses_answer_for_every_service_in_one_query(service, django_assert_num_queries):
    other = ServiceFactory(slug="signal", name="Signal")
    spike(service, 20)
    spike(other, 10, region="DE", level="warning")

    with django_assert_num_queries(1):
        answers = Spike.objects.statuses()

    assert {pk: a.level for pk, a in answers.items()} == {service.pk: "danger", other.pk: "warning"}
    assert answers[service.pk] == status(service)


def test_the_spikes_of_one_service_that_overlap_are_one_outage(service):
    regional = spike(service, 30, region="BR")
    overall = spike(service, 25)
    later = spike(service, 20, region="IN")
    elsewhere = spike(ServiceFactory(slug="signal", name="Signal"), 20)

    heads = set(Spike.objects.outages())

    assert heads == {overall, elsewhere}
    assert set(overall.parts.all()) == {regional, later}
