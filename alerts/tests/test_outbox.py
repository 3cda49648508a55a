"""Spike changes become alert events: one per spike and phase, only the phases
people want, and none twice however often the outbox runs."""

from __future__ import annotations

from datetime import timedelta

from alerts import outbox
from alerts.models import AlertCursor, AlertEvent
from alerts.tests.conftest import NOW, change, open_spike
from spikes.models import SpikeChange


def phases(spike) -> list[str]:
    return list(AlertEvent.objects.filter(spike=spike).order_by("pk").values_list("phase", flat=True))


def test_a_spike_opening_at_problems_detected_is_an_event(outbox_started, whatsapp):
    spike = open_spike(whatsapp)

    assert len(outbox.collect()) == 1
    assert phases(spike) == ["detected"]


def test_possible_problems_send_nothing_until_the_level_rises(outbox_started, whatsapp):
    spike = open_spike(whatsapp, level="warning")
    assert outbox.collect() == []

    change(spike, "level_changed", level="danger")
    outbox.collect()

    assert phases(spike) == ["detected"]


def test_a_flapping_level_sends_detected_once(outbox_started, whatsapp):
    spike = open_spike(whatsapp)
    change(spike, "level_changed", level="warning")
    change(spike, "level_changed", level="danger")
    outbox.collect()
    change(spike, "level_changed", level="warning")
    change(spike, "level_changed", level="danger")
    outbox.collect()

    assert phases(spike) == ["detected"]


def test_confirmation_and_resolution_follow_the_opening(outbox_started, whatsapp):
    spike = open_spike(whatsapp)
    change(spike, "confirmed", note="We are aware of issues sending media.", confirmed_by="provider")
    change(spike, "resolved")
    outbox.collect()

    assert phases(spike) == ["detected", "confirmed", "resolved"]
    assert (
        AlertEvent.objects.get(spike=spike, phase="confirmed").note == "We are aware of issues sending media."
    )


def test_a_resolution_nobody_was_told_of_sends_nothing(outbox_started, whatsapp):
    spike = open_spike(whatsapp, level="warning")
    change(spike, "resolved")
    outbox.collect()

    assert phases(spike) == []


def test_a_dismissal_is_a_correction_only_when_the_opening_was_told(outbox_started, whatsapp, instagram):
    told = open_spike(whatsapp)
    outbox.collect()
    change(told, "dismissed", note="Report bombing")
    untold = open_spike(instagram, level="warning")
    change(untold, "dismissed")
    outbox.collect()

    assert phases(told) == ["detected", "dismissed"]
    assert phases(untold) == []


def test_a_dismissed_spike_never_sends_detected(outbox_started, whatsapp):
    spike = open_spike(whatsapp, level="warning")
    change(spike, "dismissed")
    change(spike, "level_changed", level="danger")
    outbox.collect()

    assert phases(spike) == []


def test_running_the_outbox_twice_makes_nothing_twice(outbox_started, whatsapp):
    spike = open_spike(whatsapp)
    first = outbox.collect()
    AlertCursor.objects.filter(pk=1).update(seen=[[0, 0]])  # as if it had never moved

    assert outbox.collect() == []
    assert len(first) == 1 and phases(spike) == ["detected"]


def test_a_change_committed_late_with_a_lower_id_is_still_read(outbox_started, whatsapp, instagram):
    # A detection transaction took its id first but committed after a later one.
    early = open_spike(whatsapp, level="warning")
    late = SpikeChange.objects.create(spike=early, at=NOW, kind="level_changed", level="danger")
    SpikeChange.objects.filter(pk=late.pk).update(kind="grouped")  # not visible yet, as it were
    open_spike(instagram)
    outbox.collect(now=NOW)
    SpikeChange.objects.filter(pk=late.pk).update(kind="level_changed")  # now it commits

    outbox.collect(now=NOW + timedelta(seconds=30))

    assert phases(early) == ["detected"]


def test_the_first_run_starts_from_now(db, whatsapp):
    open_spike(whatsapp)

    assert outbox.collect() == []
    assert outbox.collect() == []
    assert AlertEvent.objects.count() == 0
