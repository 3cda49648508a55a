"""Times in the reader's zone, UTC on hover, and a zone switch that sticks."""

from datetime import timedelta

from pages.tests.conftest import NOW, make_spike


def test_times_are_in_utc_until_a_zone_is_chosen(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))

    html = client.get("/status/whatsapp/").content.decode()

    assert (
        '<time datetime="2026-03-04T11:30:00Z" title="2026-03-04 11:30 UTC">Mar 4, 11:30 UTC</time>' in html
    )
    assert "Times are shown in UTC." in html


def test_the_chosen_zone_sticks_and_utc_stays_on_hover(client, frozen, whatsapp):
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=30))

    response = client.post("/time-zone/", {"zone": "Asia/Kolkata", "next": "/status/whatsapp/"})

    assert response.status_code == 302 and response["Location"] == "/status/whatsapp/"
    assert client.cookies["tz"].value == "Asia/Kolkata"
    html = client.get("/status/whatsapp/").content.decode()
    assert (
        '<time datetime="2026-03-04T11:30:00Z" title="2026-03-04 11:30 UTC">Mar 4, 17:00 IST</time>' in html
    )
    assert "Times are shown in Asia/Kolkata." in html
    # The chart's axis and table follow the zone too.
    assert 'title="2026-03-04 11:30 UTC">Wed 4 Mar 17:00 IST</time>' in html
    # And the switch shows it as the current choice.
    assert '<option value="Asia/Kolkata" selected>' in client.get("/time-zone/").content.decode()


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

    assert '<script src="/static/pages/timezone.js" defer></script>' in html
    assert "<script>" not in html
