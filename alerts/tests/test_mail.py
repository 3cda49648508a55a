"""Alert mails through a real SMTP server: the headers mailbox providers require,
plain text with an HTML twin that loads nothing remote, what they say, and what
an SMTP refusal does."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

import pytest
import time_machine
from django.core.mail import get_connection

from alerts import delivery, mail, outbox
from alerts.models import Notification, Subscriber
from alerts.tests.conftest import NOW, change, email_subscriber, open_spike, run_alerts


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        yield


@pytest.fixture
def told(outbox_started, smtp, whatsapp):
    """Ana, in Paris, follows WhatsApp, which is down in India and Brazil."""
    email_subscriber("ana@example.org", whatsapp, time_zone="Europe/Paris")
    spike = open_spike(whatsapp, problems={"pictures": 0.62, "messages": 0.3, "login": 0.08})
    run_alerts()
    return smtp.wait_for(1)[0], spike


def test_an_alert_carries_one_click_unsubscribe_and_the_headers_providers_require(told):
    received, _ = told
    headers = received.message

    assert headers["To"] == "ana@example.org"
    assert headers["Subject"] == "Problems at WhatsApp"
    unsubscribe = re.fullmatch(
        r"<(https://outagewatch\.example/alerts/unsubscribe/[^>]+/)>", headers["List-Unsubscribe"].strip()
    )
    assert unsubscribe, headers["List-Unsubscribe"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<alert\.\d+\.[0-9a-f]{10}@outagewatch\.example>", headers["Message-ID"])
    # "-0000": UTC, as Django writes it (RFC 5322: no local offset given).
    assert parsedate_to_datetime(headers["Date"]).replace(tzinfo=UTC) == NOW + timedelta(minutes=1)
    assert headers["Auto-Submitted"] == "auto-generated"


def test_an_alert_is_plain_text_with_an_html_twin_that_loads_nothing_remote(told):
    received, _ = told
    html = received.html()

    assert received.message.get_content_type() == "multipart/alternative"
    assert "<img" not in html.lower() and "src=" not in html.lower()
    assert "url(" not in html.lower() and "<link" not in html.lower()
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith("https://outagewatch.example/") for link in links)


def test_an_alert_says_what_where_since_when_and_what_fails(told):
    received, spike = told
    text = received.text()

    assert "User reports indicate problems at WhatsApp since Wed 4 Mar, 12:56 CET (11:56 UTC)." in text
    assert "Level: Problems detected" in text
    assert "Countries: India, Brazil, United States" in text
    assert "Top problems: Pictures 62%, Messages 30%, Login 8%" in text
    assert f"https://outagewatch.example/outages/{spike.pk}/" in text
    assert "/alerts/manage/" in text and "/alerts/unsubscribe/" in text


def test_the_providers_word_is_quoted_when_it_confirms(told, smtp):
    _, spike = told
    change(spike, "confirmed", note="Some users cannot send media.", confirmed_by="provider")
    run_alerts()

    confirmed = smtp.wait_for(2)[1]
    assert confirmed.message["Subject"] == "WhatsApp outage confirmed by the provider"
    assert "Their word: Some users cannot send media." in confirmed.text()


def test_a_batch_goes_over_one_smtp_connection(outbox_started, smtp, whatsapp):
    for i in range(12):
        email_subscriber(f"reader{i}@example.org", whatsapp)
    open_spike(whatsapp)

    run_alerts()

    received = smtp.wait_for(12)
    assert len({m.peer for m in received}) == 1
    assert sorted(m.to[0] for m in received) == sorted(f"reader{i}@example.org" for i in range(12))


def test_an_address_the_server_refuses_for_good_is_marked_and_never_mailed_again(
    outbox_started, smtp, whatsapp
):
    smtp.refuse["gone@example.org"] = "550 5.1.1 No such user"
    gone = email_subscriber("gone@example.org", whatsapp)
    email_subscriber("ok@example.org", whatsapp)
    spike = open_spike(whatsapp)

    run_alerts()

    gone.refresh_from_db()
    assert (gone.status, gone.bounce_code) == ("bounced", 550)
    assert [m.to for m in smtp.wait_for(1)] == [["ok@example.org"]]
    change(spike, "resolved")
    second = open_spike(whatsapp, at=NOW + timedelta(minutes=40))
    run_alerts()
    assert smtp.to("gone@example.org") == []
    assert second.pk


def test_a_server_asking_to_try_later_gets_the_mail_later(outbox_started, smtp, whatsapp):
    smtp.refuse["busy@example.org"] = "451 4.3.0 Try again later"
    busy = email_subscriber("busy@example.org", whatsapp)
    open_spike(whatsapp)
    run_alerts()
    assert Notification.objects.get(subscriber=busy).status == "pending"

    del smtp.refuse["busy@example.org"]
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        delivery.send_emails()

    assert [m.to for m in smtp.wait_for(1)] == [["busy@example.org"]]
    assert Subscriber.objects.get(pk=busy.pk).status == "active"


def test_a_worker_dead_mid_batch_leaves_no_mail_unsent_and_none_sent_twice(
    outbox_started, smtp, whatsapp, settings
):
    for i in range(6):
        email_subscriber(f"r{i}@example.org", whatsapp)
    open_spike(whatsapp)
    for event_id in outbox.collect():
        outbox.fan_out_page(event_id)
    # A worker claims the batch, sends three mails, and dies before the rest.
    claimed = delivery.claim("email", 6)
    first_three = claimed[:3]
    delivery._send_each(
        first_three, delivery.Tally(), lambda n, a: delivery._send_email(get_connection(), mail.Pacer(), n, a)
    )

    assert delivery.send_emails().sent == 0  # the rest is still claimed by the dead worker
    with time_machine.travel(NOW + timedelta(seconds=settings.ALERTS_CLAIM_LEASE_SECONDS + 120), tick=False):
        delivery.sweep()
        assert delivery.send_emails().sent == 3

    assert sorted(m.to[0] for m in smtp.wait_for(6)) == [f"r{i}@example.org" for i in range(6)]
    assert Notification.objects.filter(status="sent").count() == 6
