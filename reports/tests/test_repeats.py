"""The repeat rule (reports.repeats), as every reader of reports applies it."""

from datetime import UTC, datetime, timedelta

from reports.repeats import RepeatMarker, repeat_window

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
ME, THEM = ("whatsapp", "me"), ("whatsapp", "them")


def test_the_window_is_the_setting(settings):
    settings.REPORT_REPEAT_WINDOW_SECONDS = 600
    assert repeat_window() == timedelta(minutes=10)
    assert RepeatMarker().window == timedelta(minutes=10)


def test_a_second_report_within_the_window_is_a_repeat_and_one_after_it_is_not():
    marker = RepeatMarker(timedelta(minutes=15))
    flags = [
        marker.mark(ME, T0),
        marker.mark(ME, T0),  # the same moment
        marker.mark(ME, T0 + timedelta(minutes=14, seconds=59)),
        # The window runs from the latest report, so someone who keeps reporting
        # every few minutes is counted once.
        marker.mark(ME, T0 + timedelta(minutes=29, seconds=58)),
        marker.mark(ME, T0 + timedelta(minutes=44, seconds=58)),  # exactly 15 minutes later
    ]
    assert flags == [False, True, True, True, False]


def test_other_reporters_and_other_services_are_not_repeats():
    marker = RepeatMarker(900)
    assert [marker.mark(ME, 0), marker.mark(THEM, 10), marker.mark(("signal", "me"), 20)] == [False] * 3
    assert marker.mark(ME, 899) is True and marker.mark(THEM, 910) is False
