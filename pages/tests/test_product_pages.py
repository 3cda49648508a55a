"""What makes the site a product: error pages, compression, the guides, the admin."""

import gzip

from django.template.loader import render_to_string

from spikes.detection.policy import DEFAULT as POLICY


def test_pages_are_compressed_and_the_api_is_left_as_it_is(client, outage_world):
    page = client.get("/status/whatsapp/", HTTP_ACCEPT_ENCODING="gzip, br")
    api = client.get("/api/v1/services/", HTTP_ACCEPT_ENCODING="gzip")

    assert page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
    html = gzip.decompress(page.content)
    # 235 kB of HTML (mostly the map and chart geometry), 61 kB sent.
    assert len(page.content) < len(html) / 3 and b"Is WhatsApp down right now?" in html
    assert not api.has_header("Content-Encoding")


def test_the_server_error_page_offers_search_and_navigation_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert 'role="search"' in html and 'href="/outages/"' in html and 'href="/methodology/"' in html


def test_an_unknown_address_gets_the_styled_404(client, db):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html and 'role="search"' in html


def test_the_partner_api_guide_is_a_page_the_reference_links(client, db):
    html = client.get("/developers/").content.decode()
    schema = client.get("/api/v1/schema/?format=json").content.decode()

    assert '<h2 id="webhooks">Webhooks</h2>' in html and "<table>" in html
    assert "[the partner API guide](/developers/)" in schema


def test_redoc_is_served_without_its_cdn_logo(client, db):
    page = client.get("/api/v1/redoc/").content.decode()
    bundle = client.get("/api/v1/redoc/redoc.standalone.js")

    assert 'src="/api/v1/redoc/redoc.standalone.js"' in page
    assert b"cdn.redoc.ly" not in bundle.content and b"API docs by Redocly" in bundle.content


def test_the_admin_is_branded(client, db):
    html = client.get("/admin/login/").content.decode()

    assert "outagewatch admin" in html and "/static/css/admin.css" in html


def test_the_methodology_page_quotes_the_detectors_own_numbers(client, db):
    html = client.get("/methodology/").content.decode()

    config = POLICY.detector
    assert f"about once in {round(1 / config.false_alarms_per_week)} weeks" in html
    assert f"the most {config.handful} people could have added is taken away" in html
    assert f"at least {config.danger_min_excess:.0f} more people than expected" in html
    assert f"more than {round(100 * config.max_repeat_share)}% of the reports are repeats" in html
    assert "from the last 1 minute to the last 60 minutes" in html
    assert "What a spike is not" in html and 'id="times"' in html
