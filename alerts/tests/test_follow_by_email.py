"""Following by email, from the form to the unsubscribe button: double opt-in,
signed links that cannot be forged and do expire, one-click unsubscribe, the
same answer for every address, rate limits, and no address in any log."""

from __future__ import annotations

import logging
import re
import time

import pytest
from django.core import mail

from alerts import links
from alerts.models import Follow, Subscriber
from alerts.tests import servers
from alerts.tests.conftest import email_subscriber
from outagewatch.celery import app


def follow(client, slug="whatsapp", **fields):
    return client.post(f"/alerts/follow/{slug}/", {"email": "ana@example.org", **fields})


def confirm_link(message) -> str:
    return re.search(r"https://outagewatch\.example(/alerts/confirm/[^/\s]+/)", message.body).group(1)


def test_following_sends_a_confirmation_and_nothing_is_stored_before_the_click(client, whatsapp):
    answer = follow(client, region="IN")

    assert answer.status_code == 302 and answer["Location"] == "/alerts/check-your-inbox/?service=whatsapp"
    [sent] = mail.outbox
    assert sent.to == ["ana@example.org"]
    assert sent.subject == "Confirm: email alerts for WhatsApp in India"
    assert not Subscriber.objects.exists()


def test_the_confirmation_link_names_no_address_in_the_clear(client, whatsapp):
    follow(client)

    link = confirm_link(mail.outbox[0])

    assert "ana" not in link and "example" not in link


def test_opening_the_link_asks_and_only_the_button_confirms(client, whatsapp):
    follow(client, region="IN")
    link = confirm_link(mail.outbox[0])

    page = client.get(link)
    assert page.status_code == 200 and b"Yes, email me" in page.content
    assert not Subscriber.objects.exists()  # a mail scanner opening the link confirms nothing

    done = client.post(link)
    assert done.status_code == 200 and b"following WhatsApp in India" in done.content
    follow_row = Follow.objects.select_related("subscriber").get()
    assert (follow_row.subscriber.email, follow_row.service, follow_row.region) == (
        "ana@example.org",
        whatsapp,
        "IN",
    )


def test_a_reader_of_the_french_site_is_asked_and_then_alerted_in_french(client, whatsapp):
    client.cookies["language"] = "fr"
    follow(client, region="IN")
    [sent] = mail.outbox
    assert sent.subject == "Confirmez\u00a0: alertes par e-mail pour WhatsApp (Inde)"

    client.cookies["language"] = "en"  # the click may come from another browser
    client.post(confirm_link(sent))

    assert Subscriber.objects.get().language == "fr"


def test_confirming_twice_changes_nothing(client, whatsapp):
    follow(client)
    link = confirm_link(mail.outbox[0])
    client.post(link)

    again = client.post(link)

    assert b"following it already" in again.content
    assert Follow.objects.count() == 1


def test_following_a_whole_group(client, whatsapp):
    follow(client, what="group")
    client.post(confirm_link(mail.outbox[0]))

    assert mail.outbox[0].subject == "Confirm: email alerts for all Meta services"
    assert Follow.objects.get().group.slug == "meta"


def test_the_reader_s_time_zone_comes_along(client, whatsapp):
    client.cookies["tz"] = "Asia/Kolkata"
    follow(client)
    client.post(confirm_link(mail.outbox[0]))

    assert Subscriber.objects.get().time_zone == "Asia/Kolkata"


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(client, whatsapp):
    fresh = follow(client)
    email_subscriber("bo@example.org", whatsapp)

    known = client.post("/alerts/follow/whatsapp/", {"email": "bo@example.org"})

    assert (fresh.status_code, fresh["Location"]) == (known.status_code, known["Location"])
    assert client.get(fresh["Location"]).content == client.get(known["Location"]).content


@pytest.mark.parametrize(
    ("email", "words"),
    [
        ("not an address", b"Enter an email address"),
        ("ana@", b"Enter an email address"),
        ("ana@example.org\r\nBcc: x@example.org", b"Enter an email address"),
        ("a" * 250 + "@example.org", b"at most 254 characters"),
        ("", b"This field is required"),
    ],
)
def test_a_malformed_address_gets_a_clear_400_page(client, whatsapp, email, words):
    answer = client.post("/alerts/follow/whatsapp/", {"email": email})

    assert answer.status_code == 400
    assert words in answer.content
    assert mail.outbox == []


def test_an_unknown_country_or_a_group_for_a_lone_service_is_a_400(client, whatsapp, db):
    from reports.tests.factories import ServiceFactory

    ServiceFactory(slug="lonely", name="Lonely")

    assert follow(client, region="XX").status_code == 400
    assert b"belongs to no group" in follow(client, slug="lonely", what="group").content
    assert client.post("/alerts/follow/nothing/", {"email": "a@example.org"}).status_code == 404


def test_a_filled_honeypot_is_refused(client, whatsapp):
    answer = follow(client, homepage="http://spam.example")

    assert answer.status_code == 400 and mail.outbox == []


def test_one_address_gets_only_a_few_confirmation_mails_and_nobody_is_told(client, whatsapp, settings):
    settings.ALERTS_MAIL_RATE_PER_ADDRESS = (2, 3600)
    answers = [follow(client) for _ in range(4)]

    assert {a.status_code for a in answers} == {302}
    assert len(mail.outbox) == 2


def test_one_client_asking_too_often_gets_a_429_with_retry_after(client, whatsapp, settings):
    settings.ALERTS_MAIL_RATE_PER_CLIENT = (3, 3600)
    for i in range(3):
        client.post("/alerts/follow/whatsapp/", {"email": f"a{i}@example.org"})

    answer = client.post("/alerts/follow/whatsapp/", {"email": "z@example.org"})

    assert answer.status_code == 429
    assert int(answer["Retry-After"]) > 0
    assert b"Too many requests from your connection" in answer.content


def test_a_forged_confirmation_link_gets_a_clear_400(client, whatsapp):
    follow(client)
    link = confirm_link(mail.outbox[0])
    forged = link[:-12] + ("A" if link[-12] != "A" else "B") + link[-11:]

    for bad in [forged, "/alerts/confirm/hello/"]:
        answer = client.post(bad)
        assert answer.status_code == 400
        assert b"damaged or was not made by us" in answer.content
    assert not Subscriber.objects.exists()


def test_an_expired_confirmation_link_gets_a_410_that_says_what_to_do(client, whatsapp, settings):
    token = links.confirm_token(links.FollowRequest(email="ana@example.org", service_id=whatsapp.pk))

    with pytest.raises(links.ExpiredLink):
        links.read_confirm_token(token, now=time.time() + settings.ALERTS_CONFIRM_HOURS * 3600 + 60)
    settings.ALERTS_CONFIRM_HOURS = 0
    answer = client.post(f"/alerts/confirm/{token}/")

    assert answer.status_code == 410
    assert b"has expired" in answer.content and b"Ask for a new one" in answer.content


# --- unsubscribing and managing ------------------------------------------------------


def test_the_unsubscribe_link_asks_and_the_button_unsubscribes(client, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    path = links.unsubscribe_url(ana).removeprefix("https://outagewatch.example")

    assert b"Unsubscribe" in client.get(path).content
    assert Subscriber.objects.get(pk=ana.pk).is_active  # opening the link changes nothing

    answer = client.post(path)
    assert b"You're unsubscribed" in answer.content
    assert Subscriber.objects.get(pk=ana.pk).status == "unsubscribed"


def test_a_mail_provider_s_one_click_post_unsubscribes_without_a_cookie(whatsapp):
    from django.test import Client

    ana = email_subscriber("ana@example.org", whatsapp)
    provider = Client(enforce_csrf_checks=True)

    answer = provider.post(
        links.unsubscribe_url(ana).removeprefix("https://outagewatch.example"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status_code == 200
    assert Subscriber.objects.get(pk=ana.pk).status == "unsubscribed"


def test_a_forged_unsubscribe_link_gets_a_400(client, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    other = links.unsubscribe_token(ana).replace(f"{ana.pk}.", f"{ana.pk + 1}.")

    answer = client.post(f"/alerts/unsubscribe/{other}/")

    assert answer.status_code == 400
    assert Subscriber.objects.get(pk=ana.pk).is_active


def test_the_manage_page_lists_follows_and_stops_one(client, whatsapp, instagram):
    ana = email_subscriber("ana@example.org", whatsapp, (instagram, "IN"))
    path = links.manage_url(ana).removeprefix("https://outagewatch.example")

    page = client.get(path)
    assert b"WhatsApp" in page.content and b"Instagram in India" in page.content

    client.post(path, {"action": "unfollow", "follow": Follow.objects.get(service=instagram).pk})
    client.post(path, {"action": "time_zone", "time_zone": "America/Sao_Paulo"})
    ana.refresh_from_db()
    assert [f.service for f in ana.follows.all()] == [whatsapp]
    assert ana.time_zone == "America/Sao_Paulo"


def test_the_manage_page_refuses_nonsense_clearly(client, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    path = links.manage_url(ana).removeprefix("https://outagewatch.example")

    assert client.post(path, {"action": "time_zone", "time_zone": "Nowhere"}).status_code == 400
    assert client.post(path, {"action": "explode"}).status_code == 400


def test_a_manage_link_of_a_deleted_subscription_says_so_clearly(client, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    path = links.manage_url(ana).removeprefix("https://outagewatch.example")
    ana.delete()

    answer = client.get(path)

    assert answer.status_code == 400
    assert b"the subscription it was made for has been deleted" in answer.content


def test_an_expired_manage_link_gets_a_410_offering_a_new_one(client, whatsapp, settings):
    ana = email_subscriber("ana@example.org", whatsapp)
    path = links.manage_url(ana).removeprefix("https://outagewatch.example")
    settings.ALERTS_MANAGE_LINK_DAYS = 0

    time.sleep(1.1)
    answer = client.get(path)

    assert answer.status_code == 410
    assert b"Mail me a new link" in answer.content


def test_a_new_manage_link_is_mailed_only_to_subscribers_with_the_same_answer_for_all(client, whatsapp):
    email_subscriber("ana@example.org", whatsapp)

    known = client.post("/alerts/manage/", {"email": "Ana@Example.org "})
    unknown = client.post("/alerts/manage/", {"email": "nobody@example.org"})

    assert known.content == unknown.content
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]
    assert "/alerts/manage/" in mail.outbox[0].body


def test_a_confirmation_brings_back_an_address_that_had_left(client, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    ana.unsubscribe()
    follow(client)
    client.post(confirm_link(mail.outbox[0]))

    assert Subscriber.objects.get(pk=ana.pk).is_active


def test_no_address_reaches_the_logs(client, whatsapp, caplog, smtp):
    caplog.set_level(logging.DEBUG)
    smtp.refuse["ana@example.org"] = "550 5.1.1 No such user"
    follow(client, email="bo@example.org")
    link = re.search(
        r"https://outagewatch\.example(/alerts/confirm/[^/\s]+/)", smtp.wait_for(1)[0].text()
    ).group(1)
    client.get(link)
    client.post(link)
    email_subscriber("ana@example.org", whatsapp)
    client.post("/alerts/manage/", {"email": "ana@example.org"})

    assert Subscriber.objects.get(email="ana@example.org").status == "bounced"
    # aiosmtpd's own log (the test's SMTP server, not ours) is left out.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    assert "/alerts/confirm/" in text  # the request log was captured
    assert "@example.org" not in text


def test_a_manage_form_naming_no_follow_changes_nothing(client, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    path = links.manage_url(ana).removeprefix("https://outagewatch.example")

    answer = client.post(path, {"action": "unfollow", "follow": "x'; drop"})

    assert answer.status_code == 302 and ana.follows.count() == 1


def test_a_task_queue_that_is_down_gets_a_503_not_a_promise(client, whatsapp):
    """A real broker that refuses connections: a Redis port nobody listens on."""
    saved = app.conf.broker_url, app.conf.task_publish_retry, app.conf.task_always_eager
    app.conf.broker_url = f"redis://127.0.0.1:{servers.free_port()}/0"
    app.conf.task_publish_retry, app.conf.task_always_eager = False, False
    # Celery keeps its connection pools; without them the next send connects anew.
    app._pool, app.amqp._producer_pool = None, None
    try:
        answer = follow(client)
    finally:
        app.conf.broker_url, app.conf.task_publish_retry, app.conf.task_always_eager = saved
        app._pool, app.amqp._producer_pool = None, None

    assert answer.status_code == 503
    assert answer["Retry-After"] == "60"
    assert b"cannot send mail right now" in answer.content
