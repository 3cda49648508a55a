"""Times in the reader's zone, UTC on hover, and a zone switch that sticks."""

import re
from datetime import timedelta

from pages.tests.conftest import NOW, make_spike


def test_times_are_in_utc_until_the_browser_or_the_reader_names_a_zone(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))

    html = client.get("/status/whatsapp/").content.decode()

    assert (
        'Since <time datetime="2026-03-04T11:30:00Z" title="2026-03-04 11:30 UTC">11:30 UTC</time>,' in html
    )
    assert "Times are shown in UTC." in html
    # The script that asks the browser for its zone, on every page, in the head.
    assert '<script src="/static/js/zone.js" data-zone="UTC" id="zone-script"></script>' in html


def test_the_chosen_zone_sticks_and_utc_stays_on_hover(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))

    response = client.post("/time-zone/", {"zone": "Asia/Kolkata", "next": "/status/whatsapp/"})

    assert response.status_code == 302 and response["Location"] == "/status/whatsapp/"
    assert client.cookies["tz"].value == "Asia/Kolkata"
    html = client.get("/status/whatsapp/").content.decode()
    # The main times say UTC beside the reader's zone.
    assert (
        '<time datetime="2026-03-04T11:30:00Z" title="2026-03-04 11:30 UTC">17:00 IST</time>'
        ' <span class="utc">(11:30 UTC)</span>' in html
    )
    assert "Times are shown in Asia/Kolkata, with UTC beside the main ones." in html
    # The chart's axis and table follow the zone too.
    assert 'title="2026-03-04 11:30 UTC">Wed 4 Mar 17:00 IST</time>' in html
    # And the switch shows it as the current choice.
    assert (
        '<option value="Asia/Kolkata" selected>India: Kolkata, UTC+05:30</option>'
        in client.get("/time-zone/").content.decode()
    )


def test_the_switch_offers_each_countrys_clocks_by_name(client, db):
    html = client.get("/time-zone/").content.decode()

    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    labels = dict(options)
    assert labels["America/Chicago"].startswith("United States: Chicago (Central")
    assert labels["Europe/London"] == "United Kingdom: London, UTC+00:00"
    # One zone per distinct clock of a country, not every IANA name.
    assert len(options) < 350 and "America/Indiana/Vevay" not in labels
    assert {"America/Sao_Paulo", "America/Manaus"} & set(labels) and "Asia/Kolkata" in labels


def test_an_unknown_zone_is_refused_with_a_400(client, db):
    response = client.post("/time-zone/", {"zone": "Mars/Olympus_Mons"})

    assert response.status_code == 400
    assert "is not a time zone: pick one from the list" in response.content.decode()
    assert "tz" not in response.cookies


def test_a_bad_zone_cookie_is_ignored(client, frozen, whatsapp):
    client.cookies["tz"] = "../../etc/passwd"

    response = client.get("/status/whatsapp/")

    assert response.status_code == 200 and "Times are shown in UTC." in response.content.decode()


def test_the_switch_never_redirects_to_another_site(client, db):
    response = client.post("/time-zone/", {"zone": "Europe/Paris", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_the_switch_page_has_no_inline_script(client, db):
    html = client.get("/time-zone/").content.decode()

    assert '<script src="/static/js/zone.js" data-zone="UTC" id="zone-script"></script>' in html
    assert "<script>" not in html
