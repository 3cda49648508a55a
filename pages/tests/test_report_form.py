"""The "Is <service> down?" page and its report form, end to end."""

import pytest
from django.test import Client

from reports.models import Report, Source
from reports.tests.factories import ServiceFactory

PAGE = "/status/whatsapp/"
FORM = "/status/whatsapp/report/"


def test_the_page_offers_one_button_per_problem_type_in_order(client, whatsapp):
    html = client.get(PAGE).content.decode()

    assert "Is WhatsApp down right now?" in html
    buttons = [
        html.index(f'name="problem" value="{slug}"')
        for slug in ("messages", "pictures", "voice-messages", "login")
    ]
    assert buttons == sorted(buttons)
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="website"' in html  # the honeypot
    assert 'name="viewport"' in html


def test_the_region_comes_from_the_browser_language(client, whatsapp):
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en-GB;q=0.8").content.decode()

    assert '<option value="AT" selected>' in html


def test_the_region_cookie_wins_over_the_browser_language(client, whatsapp):
    client.cookies["region"] = "BR"

    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="de-AT").content.decode()

    assert '<option value="BR" selected>' in html


def test_without_any_hint_the_region_falls_back_to_the_us(client, whatsapp):
    assert '<option value="US" selected>' in client.get(PAGE).content.decode()


def test_posting_the_form_stores_the_report_and_confirms_it(client, whatsapp):
    response = client.post(FORM, {"problem": "pictures", "region": "IN", "comment": "stuck"}, follow=True)

    report = Report.objects.get()
    assert (report.problem.slug, report.region_id, report.comment, report.source) == (
        "pictures",
        "IN",
        "stuck",
        Source.WEB,
    )
    assert response.redirect_chain == [(PAGE + "#report", 302)]
    assert "your report of pictures problems with WhatsApp in India is recorded" in response.content.decode()
    assert client.cookies["region"].value == "IN"


def test_the_chosen_region_sticks_for_the_next_visit(client, whatsapp):
    client.post(FORM, {"problem": "pictures", "region": "JP"})

    assert '<option value="JP" selected>' in client.get(PAGE).content.decode()


def test_a_form_without_its_csrf_token_is_refused(whatsapp):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(FORM, {"problem": "pictures", "region": "IN"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert Report.objects.count() == 0


def test_a_form_with_its_csrf_token_is_accepted(whatsapp):
    strict = Client(enforce_csrf_checks=True)
    strict.get(PAGE)
    token = strict.cookies["csrftoken"].value

    response = strict.post(FORM, {"problem": "pictures", "region": "IN", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Report.objects.count() == 1


def test_a_filled_honeypot_is_refused_and_said_so(client, whatsapp):
    response = client.post(FORM, {"problem": "pictures", "region": "IN", "website": "http://spam"})

    assert response.status_code == 400
    assert "automated submission" in response.content.decode()
    assert Report.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"problem": "faxes", "region": "IN"}, "WhatsApp has no problem type"),
        ({"problem": "pictures", "region": "QQ"}, "is not an ISO 3166-1 alpha-2 country code"),
        ({"region": "IN"}, "This field is required"),
        ({"problem": "pictures", "region": "IN", "comment": "y" * 300}, "at most 280 characters"),
    ],
    ids=["unknown problem", "unknown region", "no problem chosen", "comment too long"],
)
def test_a_bad_form_shows_the_page_again_with_the_reason(client, whatsapp, fields, message):
    response = client.post(FORM, fields)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Your report was not sent" in html
    assert message in html
    assert Report.objects.count() == 0


def test_a_refused_report_shows_the_whole_service_page_again_with_what_was_sent(client, whatsapp):
    client.post(FORM, {"problem": "pictures", "region": "IN", "comment": "Photos stuck at 50%"})

    response = client.post(FORM, {"problem": "faxes", "region": "DE", "comment": "Still nothing"})

    assert response.status_code == 400
    assert response.templates[0].name == "pages/service.html"
    html = response.content.decode()
    assert "Is WhatsApp down right now?" in html
    assert 'class="banner banner-' in html  # the status
    assert 'id="chart-heading"' in html and 'id="regions-heading"' in html  # the chart and the map
    assert "Photos stuck at 50%" in html  # the comments of others
    assert '<option value="DE" selected>' in html  # what was sent
    assert ">Still nothing</textarea>" in html
    assert "Your report was not sent" in html and "WhatsApp has no problem type" in html
    # Shown at the form's target, its links still lead to the service page.
    assert 'href="/status/whatsapp/?range=7d"' in html
    assert 'href="/status/whatsapp/?map=24h#regions-heading"' in html


def test_the_thanks_say_how_long_repeats_count_once(client, whatsapp, settings):
    settings.REPORT_REPEAT_WINDOW_SECONDS = 30 * 60

    response = client.post(FORM, {"problem": "pictures", "region": "IN"}, follow=True)

    assert "reports from the same person within 30 minutes count once" in response.content.decode()


def test_a_get_on_the_form_target_goes_to_the_service_page(client, whatsapp):
    response = client.get(FORM)

    assert (response.status_code, response["Location"]) == (302, PAGE)
    assert client.put(FORM).status_code == 405


def test_an_inactive_or_unknown_service_has_no_page(client, db):
    ServiceFactory(slug="vine", is_active=False)

    assert client.get("/status/vine/").status_code == 404
    assert client.get("/status/nope/").status_code == 404
    assert client.post("/status/vine/report/", {"problem": "messages", "region": "US"}).status_code == 404


def test_comments_are_shown_escaped(client, whatsapp):
    client.post(FORM, {"problem": "pictures", "region": "IN", "comment": "<script>alert(1)</script>"})

    html = client.get(PAGE).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hidden_comments_are_not_shown(client, whatsapp):
    client.post(FORM, {"problem": "pictures", "region": "IN", "comment": "rude words"})
    Report.objects.update(comment_hidden=True)

    assert "rude words" not in client.get(PAGE).content.decode()


def test_the_home_page_lists_and_finds_services(client, whatsapp):
    ServiceFactory(slug="gmail", name="Gmail", category="email")

    everything = client.get("/").content.decode()
    found = client.get("/", {"q": "whats"}).content.decode()

    assert "WhatsApp" in everything and "Gmail" in everything
    assert "WhatsApp" in found and "Gmail" not in found
