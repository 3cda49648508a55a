import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from spikes.checks import repeat_window_covers_the_handful_bound


def test_the_default_repeat_window_passes_the_check():
    assert repeat_window_covers_the_handful_bound(None) == []


def test_a_repeat_window_shorter_than_the_size_gate_assumes_stops_the_checks(settings):
    settings.REPORT_REPEAT_WINDOW_SECONDS = 300
    errors = repeat_window_covers_the_handful_bound(None)
    assert [e.id for e in errors] == ["spikes.E001"]
    assert "at least 900" in errors[0].hint
    with pytest.raises(SystemCheckError, match="REPORT_REPEAT_WINDOW_SECONDS is 300"):
        call_command("check")
