"""Country editions: /<cc>/ ranks the services offered in a country by that
country's reports, lists its outages and its archive; /<cc>/status/<slug>/ draws the
country's series, its subdivisions and their map; the switch and the suggestion."""

import re
from datetime import timedelta

import pytest

from pages.tests.conftest import NOW, baseline, counted, make_spike
from reports.models import Report
from reports.tests.factories import ServiceFactory


@pytest.fixture
def germany(frozen, whatsapp):
    """Vodafone and Telekom, offered in Germany; Chase, only in the US. The last
    half hour: Vodafone much reported from Bavaria, WhatsApp a little from Germany,
    Chase a lot from the US."""
    vodafone = ServiceFactory(
        slug="vodafone",
        name="Vodafone",
        category="mobile",
        problems=["signal", "mobile-internet"],
        countries=["DE", "GB"],
    )
    telekom = ServiceFactory(slug="telekom", name="Telekom", category="isp", countries=["DE"])
    chase = ServiceFactory(slug="chase", name="Chase", category="banking", countries=["US"])
    # A usual day two days ago: reporters spread over the country, half naming a Land.
    two_days = NOW - timedelta(days=2)
    counted(vodafone, two_days, 60, 1, region="DE", reporter="by", subdivision="DE-BY")
    counted(vodafone, two_days, 60, 1, region="DE", reporter="be", subdivision="DE-BE")
    counted(vodafone, two_days, 60, 2, region="DE", reporter="de")
    baseline(vodafone, 4.0, region="DE")
    # Now: Bavaria's reporters at twenty a minute, Berlin's as ever.
    start = NOW - timedelta(minutes=30)
    counted(vodafone, start, 30, 20, region="DE", reporter="outby", subdivision="DE-BY")
    counted(vodafone, start, 30, 1, region="DE", reporter="nowbe", subdivision="DE-BE")
    counted(whatsapp, start, 30, 2, region="DE", reporter="wa")
    counted(chase, start, 30, 30, region="US", reporter="ch")
    return {"vodafone": vodafone, "telekom": telekom, "chase": chase}


def section(html: str, heading_id: str) -> str:
    """A page's section, from its heading to the next one of its rank."""
    start = html.index(f'id="{heading_id}"')
    following = html.find("<h2 ", start)
    return html[start : following if following != -1 else len(html)]


def test_an_edition_ranks_the_services_offered_there_by_that_countrys_reports(client, germany):
    html = client.get("/de/").content.decode()

    top = section(html, "top-heading")
    assert "Most reported in Germany in the last hour" in top
    assert top.index("Vodafone") < top.index("WhatsApp")
    assert "Chase" not in top  # much reported, but in the US
    local = section(html, "local-heading")
    assert '<a href="/de/status/vodafone/">Vodafone</a>' in local
    assert '<a href="/de/status/telekom/">Telekom</a>' in local
    assert "Chase" not in html and "WhatsApp" not in local
    assert '<a href="/de/status/whatsapp/">WhatsApp</a>' in section(html, "all-heading")


def test_an_edition_lists_its_countrys_outages_before_worldwide_ones(client, germany, whatsapp):
    make_spike(germany["vodafone"], started_at=NOW - timedelta(minutes=25), region="DE")
    make_spike(whatsapp, started_at=NOW - timedelta(minutes=20))
    make_spike(germany["chase"], started_at=NOW - timedelta(minutes=20))  # not offered in Germany

    html = client.get("/de/").content.decode()

    now = section(html, "now-heading")
    assert now.index("Vodafone in Germany</a>: problems detected") < now.index(
        "Outages in all countries together"
    )
    assert now.index("Outages in all countries together") < now.index("WhatsApp</a>: problems detected")
    assert "Chase" not in now
    assert (
        "Vodafone" not in client.get("/gb/").content.decode().split("now-heading")[1].split("</section>")[0]
    )


def test_an_edition_names_its_country_as_english_sentences_do(client, frozen, whatsapp):
    us = client.get("/us/").content.decode()
    germany = client.get("/de/").content.decode()
    french = client.get("/us/?lang=fr").content.decode()

    assert "<h1>Is it down in the United States, or is it just you?</h1>" in us
    assert "<h1>Is it down in Germany, or is it just you?</h1>" in germany
    assert "the États-Unis" not in french and "the United States" not in french


def test_an_edition_has_its_archive(client, germany):
    ended = make_spike(
        germany["vodafone"],
        started_at=NOW - timedelta(days=1),
        ended_at=NOW - timedelta(hours=20),
        region="DE",
    )
    make_spike(
        germany["chase"], started_at=NOW - timedelta(days=1), ended_at=NOW - timedelta(hours=20), region="US"
    )

    home = client.get("/de/").content.decode()
    archive = client.get("/de/outages/").content.decode()

    assert f'<a href="/outages/{ended.pk}/">Vodafone in Germany</a>' in section(home, "resolved-heading")
    assert "<h1>Outages in Germany</h1>" in archive
    assert f'href="/outages/{ended.pk}/"' in archive and "Chase" not in archive
    assert 'name="region"' not in archive  # the edition's country is the filter


@pytest.mark.parametrize(
    "path", ["/xx/", "/xx/status/whatsapp/", "/zz/outages/", "/qq/status/whatsapp/chart.png"]
)
def test_an_unknown_country_is_a_404_that_links_to_the_editions(client, frozen, whatsapp, path):
    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 404
    assert "There is no edition “" in html
    assert '<option value="de">Germany</option>' in html
    assert '<a href="/">All countries</a>' in html


def test_an_edition_in_capitals_redirects_to_its_address(client, frozen, whatsapp):
    response = client.get("/DE/status/whatsapp/?range=1h")

    assert response.status_code == 301
    assert response["Location"] == "/de/status/whatsapp/?range=1h"


def test_the_country_service_page_draws_the_countrys_series_and_where_in_it(client, germany):
    html = client.get("/de/status/vodafone/").content.decode()

    assert "<h1>Is Vodafone down in Germany?</h1>" in html
    assert "Vodafone in Germany: user reports in the last 24h" in html
    # Bavaria: 600 reporters against its usual quarter of Germany's 120 an half hour... an hour.
    assert re.search(
        r'<path class="r4" d="[^"]+" data-code="DE-BY"><title>Bayern: 600 reporters, 60 expected', html
    )
    assert re.search(
        r'<path class="r1" d="[^"]+" data-code="DE-BE"><title>Berlin: 30 reporters, 60 expected', html
    )
    assert re.search(r'data-code="DE-HH"><title>Hamburg: no reports</title>', html)
    table = section(html, "regions-heading")
    assert "<td>Bayern</td><td>600</td><td>60</td><td>10.0×</td>" in table
    rows = table[table.index("<table") :]
    assert rows.index("Bayern") < rows.index("Berlin")
    assert "World" not in table and "United States" not in table


def test_the_country_service_page_lists_the_services_spikes_there(client, germany):
    here = make_spike(germany["vodafone"], started_at=NOW - timedelta(minutes=25), region="DE")
    elsewhere = make_spike(germany["vodafone"], started_at=NOW - timedelta(minutes=25), region="GB")

    html = client.get("/de/status/vodafone/").content.decode()

    spikes = section(html, "country-spikes-heading")
    assert f'href="/outages/{here.pk}/"' in spikes and f'href="/outages/{elsewhere.pk}/"' not in spikes
    assert "Problems detected at Vodafone in Germany" in html  # the banner: Germany's status


def test_the_country_service_page_files_reports_for_that_country(client, germany):
    html = client.get("/de/status/vodafone/").content.decode()

    assert 'action="/de/status/vodafone/report/"' in html
    assert 'id="region" name="region"' not in html  # the report form's (the follow box has its own)
    assert "Your report counts for Germany." in html
    assert '<option value="DE-BY">Bayern</option>' in html

    response = client.post(
        "/de/status/vodafone/report/", {"problem": "signal", "region": "US", "subdivision": "DE-BY"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/de/status/vodafone/#report"
    report = Report.objects.get(source="web")
    assert (report.region_id, report.subdivision) == ("DE", "DE-BY")
    page = client.get(response["Location"]).content.decode()
    assert "your report of a problem with Vodafone (Signal) in Bayern, Germany is recorded" in page


def test_the_follow_box_of_a_country_service_page_follows_it_in_that_country(client, germany):
    edition = client.get("/de/status/vodafone/").content.decode()
    worldwide = client.get("/status/vodafone/").content.decode()

    def chosen(html: str) -> list[str]:
        where = re.search(r'<select id="follow-region" name="region">(.*?)</select>', html).group(1)
        return re.findall(r'<option value="([^"]*)" selected>', where)

    assert chosen(edition) == ["DE"]
    assert chosen(worldwide) == [""]  # everywhere


@pytest.mark.parametrize(
    "subdivision, says",
    [
        ("FR-IDF", "FR-IDF is a subdivision of France, not of Germany (DE)."),
        ("DE-XX", "&#x27;DE-XX&#x27; is not a subdivision of Germany (DE)."),
    ],
)
def test_the_form_refuses_a_subdivision_that_is_not_the_countrys(client, germany, subdivision, says):
    response = client.post("/de/status/vodafone/report/", {"problem": "signal", "subdivision": subdivision})

    html = response.content.decode()
    assert response.status_code == 400
    assert says in html
    assert "Choose one of: DE-BW (Baden-Württemberg), DE-BY (Bayern)" in html
    assert not Report.objects.filter(source="web").exists()


def test_a_refused_report_shows_the_countrys_service_page_again(client, germany):
    response = client.post(
        "/de/status/vodafone/report/", {"problem": "faxes", "subdivision": "DE-BE", "comment": "Kein Netz"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Your report was not sent" in html and "Vodafone has no problem type" in html
    assert "Is Vodafone down in Germany?" in html and 'class="banner banner-' in html
    assert "Where in Germany, last hour" in html and "Bayern" in html  # where in the country
    assert '<option value="DE-BE" selected>' in html and ">Kein Netz</textarea>" in html
    assert 'href="/de/status/vodafone/?range=7d"' in html  # its links lead to the page itself
    assert client.get("/de/status/vodafone/report/")["Location"] == "/de/status/vodafone/"


def test_the_global_form_offers_the_subdivisions_of_the_readers_country(client, germany):
    client.cookies["language"] = "en"  # a reader in Germany who chose English
    html = client.get("/status/vodafone/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()

    assert '<option value="DE" selected>Germany</option>' in html
    assert 'data-country="DE"' in html and '<option value="DE-BY">Bayern</option>' in html
    assert "Where in Germany? (optional)" in html
    assert '<script src="/static/js/report-form.js" defer></script>' in html


def test_the_switch_goes_to_the_same_page_in_the_chosen_edition_and_remembers_it(client, germany):
    listing = client.get("/editions/?next=/status/whatsapp/").content.decode()
    assert '<button type="submit" name="edition" value="global">All countries</button>' in listing
    assert '<option value="br">Brazil</option>' in listing

    chosen = client.post("/editions/", {"edition": "de", "next": "/status/whatsapp/?range=1h"})
    back = client.post("/editions/", {"edition": "global", "next": "/de/status/whatsapp/"})
    home = client.post("/editions/", {"edition": "de", "next": "/methodology/"})

    assert chosen.status_code == 302 and chosen["Location"] == "/de/status/whatsapp/?range=1h"
    assert chosen.cookies["edition"].value == "DE"
    assert back["Location"] == "/status/whatsapp/" and back.cookies["edition"].value == "global"
    assert home["Location"] == "/de/"


@pytest.mark.parametrize(
    "data, status",
    [({"edition": "xx", "next": "/"}, 400), ({"edition": "de", "next": "https://evil.example/"}, 302)],
)
def test_the_switch_refuses_what_is_not_an_edition_and_stays_on_this_site(client, frozen, data, status):
    response = client.post("/editions/", data)

    assert response.status_code == status
    if status == 302:
        assert response["Location"] == "/de/"
    else:
        assert "&#x27;xx&#x27; is not an edition" in response.content.decode()


def test_every_page_has_the_switch_and_a_suggestion_never_a_redirect(client, germany):
    client.cookies["language"] = "en"  # a reader in Germany who chose English
    suggested = client.get("/status/whatsapp/", HTTP_ACCEPT_LANGUAGE="de-DE")
    in_edition = client.get("/de/status/whatsapp/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()
    client.cookies["edition"] = "global"
    declined = client.get("/status/whatsapp/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()
    client.cookies["edition"] = "BR"
    remembered = client.get("/methodology/", HTTP_ACCEPT_LANGUAGE="de-DE").content.decode()

    assert suggested.status_code == 200
    html = suggested.content.decode()
    assert 'href="/editions/?next=/status/whatsapp/"' in html and "Country: all</a>" in html
    assert '<a href="/de/status/whatsapp/">Germany edition</a>' in html
    assert "Germany edition" not in in_edition and "Country: Germany</a>" in in_edition
    assert "edition-suggestion" not in declined
    assert '<a href="/br/">Brazil edition</a>' in remembered


def test_a_spike_page_shows_where_in_its_country_it_was(client, germany):
    spike = make_spike(germany["vodafone"], started_at=NOW - timedelta(minutes=30), region="DE")

    html = client.get(f"/outages/{spike.pk}/").content.decode()

    where = section(html, "where-heading")
    assert "Where in Germany" in where
    assert re.search(r'class="r4" d="[^"]+" data-code="DE-BY"><title>Bayern: 600 reporters', where)
    assert "<td>Bayern</td><td>600</td>" in where


def test_a_worldwide_spike_page_offers_its_countries_maps(client, germany):
    spike = make_spike(
        germany["vodafone"], started_at=NOW - timedelta(minutes=30), regions={"GB": 0.6, "DE": 0.4}
    )

    first = client.get(f"/outages/{spike.pk}/").content.decode()
    germany_page = client.get(f"/outages/{spike.pk}/?country=DE").content.decode()
    refused = client.get(f"/outages/{spike.pk}/?country=FR")

    assert (
        "Where in the United Kingdom" in first and '<a href="?country=DE#where-heading">Germany</a>' in first
    )
    assert "<td>Bayern</td><td>600</td>" in germany_page
    assert refused.status_code == 400
    assert (
        "country must be one of this outage&#x27;s countries with a map (GB, DE)" in refused.content.decode()
    )
