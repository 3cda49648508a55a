"""Events become messages: to the right followers, once per subscriber, topic
and phase, one per incident for a group's followers, within the caps."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from alerts import delivery, outbox, tasks
from alerts.models import Notification, Phase, Subscriber
from alerts.tests.conftest import NOW, change, email_subscriber, open_spike, run_alerts
from spikes.models import Incident


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        yield


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_followers_of_a_service_are_told_once(outbox_started, whatsapp, instagram):
    email_subscriber("ana@example.org", whatsapp)
    email_subscriber("bo@example.org", instagram)
    open_spike(whatsapp)

    run_alerts()
    run_alerts()

    assert [m.subject for m in mails_to("ana@example.org")] == ["Problems at WhatsApp"]
    assert mails_to("bo@example.org") == []


def test_a_country_follow_hears_only_of_that_country(outbox_started, whatsapp):
    email_subscriber("in@example.org", (whatsapp, "IN"))
    email_subscriber("all@example.org", whatsapp)
    open_spike(whatsapp, region="BR")
    open_spike(whatsapp, region="IN")

    run_alerts()

    assert [m.subject for m in mails_to("in@example.org")] == ["Problems at WhatsApp in India"]
    assert mails_to("all@example.org") == []


def test_a_page_made_twice_makes_each_message_once(outbox_started, whatsapp):
    for i in range(5):
        email_subscriber(f"p{i}@example.org", whatsapp)
    open_spike(whatsapp)
    [event_id] = outbox.collect()

    outbox.fan_out_page(event_id, size=3)
    event = outbox.AlertEvent.objects.get(pk=event_id)
    event.cursor = 0  # as if the first page had been rolled back after its insert
    event.save()
    outbox.fan_out_page(event_id, size=3)
    while not outbox.fan_out_page(event_id, size=3).done:
        pass

    assert Notification.objects.count() == 5
    assert Notification.objects.filter(status="pending").count() == 5


def test_a_group_follower_gets_one_message_for_an_incident_of_two_services(
    outbox_started, meta, whatsapp, instagram
):
    email_subscriber("desk@example.org", meta)
    whatsapp_spike = open_spike(whatsapp)
    run_alerts()
    instagram_spike = open_spike(instagram, at=NOW + timedelta(minutes=3))
    incident = Incident.objects.create(kind="group", group=meta, started_at=whatsapp_spike.started_at)
    for spike in (whatsapp_spike, instagram_spike):
        spike.incident = incident
        spike.save(update_fields=["incident"])
    run_alerts()

    [told] = mails_to("desk@example.org")
    assert told.subject == "Problems at Meta (WhatsApp)"

    change(whatsapp_spike, "resolved")
    run_alerts()
    assert len(mails_to("desk@example.org")) == 1  # Instagram is still down
    change(instagram_spike, "resolved", at=NOW + timedelta(minutes=50))
    run_alerts()
    closing = mails_to("desk@example.org")[-1]
    assert closing.subject == "Meta (WhatsApp, Instagram): the problems are over"
    assert len(mails_to("desk@example.org")) == 2


def test_closings_go_only_to_those_told_of_the_opening(outbox_started, whatsapp):
    email_subscriber("early@example.org", whatsapp)
    spike = open_spike(whatsapp)
    run_alerts()
    email_subscriber("late@example.org", whatsapp)
    change(spike, "resolved")
    run_alerts()

    assert [m.subject for m in mails_to("early@example.org")] == [
        "Problems at WhatsApp",
        "WhatsApp: the problems are over",
    ]
    assert mails_to("late@example.org") == []


def test_a_dismissal_sends_a_correction_to_those_told(outbox_started, whatsapp):
    email_subscriber("ana@example.org", whatsapp)
    spike = open_spike(whatsapp)
    run_alerts()
    change(spike, "dismissed", note="Report bombing")
    run_alerts()

    correction = mails_to("ana@example.org")[-1]
    assert correction.subject == "Correction: no WhatsApp outage"
    assert "not an outage" in correction.body


def test_a_flapping_series_sends_at_most_the_hourly_limit_of_new_outages(outbox_started, whatsapp, settings):
    settings.ALERTS_HOURLY_LIMIT = 2
    email_subscriber("ana@example.org", whatsapp)
    for flap in range(5):
        spike = open_spike(whatsapp, at=NOW + timedelta(minutes=10 * flap))
        run_alerts()
        change(spike, "resolved", at=NOW + timedelta(minutes=10 * flap + 5))
        run_alerts()

    subjects = [m.subject for m in mails_to("ana@example.org")]
    assert subjects.count("Problems at WhatsApp") == 2
    assert subjects.count("WhatsApp: the problems are over") == 2
    assert Notification.objects.filter(status="capped", phase=Phase.DETECTED).count() == 3


def test_the_daily_cap_holds_across_services(outbox_started, settings, whatsapp, instagram, facebook):
    settings.ALERTS_DAILY_LIMIT = 2
    email_subscriber("ana@example.org", whatsapp, instagram, facebook)
    for service in (whatsapp, instagram, facebook):
        open_spike(service)
    run_alerts()

    assert len(mails_to("ana@example.org")) == 2


def test_nobody_unsubscribed_or_refused_is_mailed(outbox_started, whatsapp):
    gone = email_subscriber("gone@example.org", whatsapp)
    gone.unsubscribe()
    email_subscriber("bounced@example.org", whatsapp, status="bounced")
    open_spike(whatsapp)

    run_alerts()

    assert mail.outbox == []


def test_an_outage_over_before_it_could_be_told_is_not_news(outbox_started, whatsapp):
    email_subscriber("ana@example.org", whatsapp)
    spike = open_spike(whatsapp)
    change(spike, "resolved")

    run_alerts()

    assert mail.outbox == []


def test_a_message_claimed_after_the_subscriber_left_is_not_sent(outbox_started, whatsapp):
    ana = email_subscriber("ana@example.org", whatsapp)
    open_spike(whatsapp)
    for event_id in outbox.collect():
        outbox.fan_out_page(event_id)
    Subscriber.objects.filter(pk=ana.pk).update(status="unsubscribed")

    tally = delivery.send_emails()

    assert (tally.sent, tally.skipped) == (0, 1)
    assert mail.outbox == []


def test_a_fan_out_cut_short_is_started_again_by_the_sweeper(outbox_started, whatsapp):
    for i in range(3):
        email_subscriber(f"r{i}@example.org", whatsapp)
    open_spike(whatsapp)
    [event_id] = outbox.collect()
    outbox.fan_out_page(event_id, size=1)  # then its worker died

    tasks.sweep_unsent.delay().get()
    assert len(mail.outbox) == 1  # the page's message, sent; too soon to call the fan-out stalled

    with time_machine.travel(NOW + timedelta(minutes=12), tick=False):
        tasks.sweep_unsent.delay().get()

    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.org", "r1@example.org", "r2@example.org"]
