"""Issue 11: "is this service down?" gets one answer, wherever it is asked: the
site's banner, the service feed, /api/v1/services/, /api/v1/live-status/ and the
webhook payloads all ask spikes.models.ServiceStatus, on the same data."""

import re
from datetime import timedelta

import feedparser
import pytest
import time_machine

from partners.tests.conftest import T0, make_spike
from partners.webhooks import spike_payload
from spikes.detection import DetectorState
from spikes.incidents import join_outage
from spikes.models import Series

NOW = T0 + timedelta(hours=12)


def back_to_normal(spike, minutes_ago):
    quiet = (NOW - timedelta(minutes=minutes_ago)).timestamp()
    state = DetectorState(level=spike.level, quiet_start=quiet, quiet_len=2)
    Series.objects.filter(pk=spike.series_id).update(detector_state=state.to_dict())


def at(minutes_ago):
    return NOW - timedelta(minutes=minutes_ago)


def only_regions(service):
    return [
        make_spike(service, at(30), region="BR"),
        make_spike(service, at(20), region="IN", level="warning"),
    ]


def global_warning_regional_danger(service):
    return [make_spike(service, at(25), level="warning"), make_spike(service, at(30), region="GB")]


def recovering(service):
    spikes = [make_spike(service, at(70)), make_spike(service, at(65), region="GB", level="warning")]
    back_to_normal(spikes[0], 15)
    back_to_normal(spikes[1], 10)
    return spikes


def recovering_but_a_region_still_high(service):
    spikes = [make_spike(service, at(70)), make_spike(service, at(65), region="GB", level="warning")]
    back_to_normal(spikes[0], 15)
    return spikes


def over_or_dismissed(service):
    return [
        make_spike(service, at(300), ended_at=at(200), verdict="suspected"),
        make_spike(service, at(30), verdict="dismissed"),
    ]


@pytest.mark.parametrize(
    ("world", "level", "since"),
    [
        (only_regions, "danger", at(30)),
        (global_warning_regional_danger, "danger", at(30)),
        (recovering, "recovering", at(70)),
        (recovering_but_a_region_still_high, "warning", at(70)),
        (over_or_dismissed, "ok", None),
    ],
)
def test_the_site_the_feed_the_api_and_the_webhooks_give_one_answer(
    client, api, whatsapp, world, level, since
):
    spikes = world(whatsapp)
    for spike in spikes:
        join_outage(spike)
    iso = since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else None

    with time_machine.travel(NOW, tick=False):
        page = client.get("/status/whatsapp/").content.decode()
        feed = feedparser.parse(client.get("/status/whatsapp/feed/").content)
        service = api.get("/api/v1/services/whatsapp/").json()
        live = {s["slug"]: s for s in api.get("/api/v1/live-status/").json()}
    payloads = [spike_payload(spike)["service_status"] for spike in spikes]

    site = re.search(r'<section class="banner banner-(\w+)"', page).group(1)
    site_since = re.search(
        r'Since <time datetime="([^"]+)"|Problems were reported from <time datetime="([^"]+)"', page
    )
    open_entries = [e.title for e in feed.entries if not e.title.endswith(": resolved")]
    assert site == level
    assert (site_since and next(filter(None, site_since.groups()))) == iso
    assert (service["level"] or "ok", service["since"]) == (level, iso)
    live_answer = (live["whatsapp"]["level"], live["whatsapp"]["since"]) if live else ("ok", None)
    assert live_answer == (level, iso)
    assert [p["level"] for p in payloads] == [level] * len(spikes)
    assert {p["since"] for p in payloads} == {iso}
    if level == "ok":
        assert open_entries == []
    else:
        assert len(open_entries) == 1 and open_entries[0].endswith(
            {"danger": "problems detected", "warning": "possible problems", "recovering": "recovering"}[level]
        )
