"""Reports in, detection pass, page out: the site shows what the detector found."""

import re
from datetime import UTC, datetime, timedelta

import time_machine

from spikes import pipeline
from spikes.models import Spike
from spikes.tests.factories import add_reports

HISTORY_START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
LEARNED = HISTORY_START + timedelta(days=2)
ONSET = LEARNED + timedelta(minutes=10)


def test_an_outage_found_by_the_detector_is_on_the_service_page_home_and_archive(client, whatsapp):
    add_reports(whatsapp, HISTORY_START, minutes=2 * 1440, per_minute=4, reporter="h")
    pipeline.run_pass(LEARNED)
    pipeline.refresh_baselines(LEARNED)
    add_reports(whatsapp, ONSET, minutes=30, per_minute=40, problem="pictures", reporter="o")
    pipeline.run_pass(ONSET + timedelta(minutes=15))
    spike = Spike.objects.get(region="")

    with time_machine.travel(ONSET + timedelta(minutes=15), tick=False):
        page = client.get("/status/whatsapp/?range=1h").content.decode()
        home = client.get("/").content.decode()
        archive = client.get("/outages/").content.decode()
        detail = client.get(f"/outages/{spike.pk}/").content.decode()

    assert re.search(r"(Possible problems|Problems detected) at WhatsApp</p>", page)
    assert "Most reported problems in this outage" in page
    assert re.search(r'<span class="share-label">Pictures</span> <meter min="0" max="100" value="100"', page)
    assert f'href="/outages/{spike.pk}/">WhatsApp</a>' in home
    assert f'href="/outages/{spike.pk}/">WhatsApp</a>' in archive
    assert "Started: reports began rising (estimated onset)" in detail
