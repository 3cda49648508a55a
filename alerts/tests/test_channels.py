"""Newsroom channels: a partner key with the newsroom scope registers Slack,
Discord, Teams or webhook channels for any outage, a category or a list of
services, and each gets a message in its documented shape, within its limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from alerts import channels, content
from alerts.models import AlertEvent, ChannelDelivery, NewsroomChannel
from alerts.tests.conftest import NOW, change, open_spike, run_alerts
from partners import keys, signing
from reports.tests.factories import ServiceFactory


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        yield


@pytest.fixture
def desk(db):
    key, raw = keys.issue_key("Example newsroom", ["newsroom"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return key, api


def add_channel(api, **fields):
    return api.post("/api/v1/alert-channels/", fields, format="json")


def test_a_newsroom_key_adds_a_channel_and_only_it_sees_it(desk, chat, whatsapp):
    key, api = desk
    answer = add_channel(api, kind="slack", url=chat.url, category="messaging", name="#outages")

    assert answer.status_code == 201, answer.json()
    assert answer.json()["regions"] == ["all"]
    other_key, other_raw = keys.issue_key("Other desk", ["newsroom"])
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_raw}")
    assert other.get("/api/v1/alert-channels/").json() == []
    assert other.get(f"/api/v1/alert-channels/{answer.json()['id']}/").status_code == 404


def test_a_key_without_the_newsroom_scope_is_refused(db):
    _, raw = keys.issue_key("Reader", ["read", "webhooks"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    answer = api.get("/api/v1/alert-channels/")

    assert answer.status_code == 403
    assert "'newsroom' scope" in answer.json()["detail"]
    assert APIClient().get("/api/v1/alert-channels/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "slack", "url": "ftp://example.org/x"}, "url", "must start with https://"),
        ({"kind": "pager", "url": "https://example.org/x"}, "kind", "not a valid choice"),
        ({"kind": "slack", "url": "https://example.org/x", "regions": ["XX"]}, "regions", "Unknown region"),
        (
            {"kind": "slack", "url": "https://example.org/x", "category": "sports"},
            "category",
            "not a valid choice",
        ),
        (
            {"kind": "slack", "url": "https://example.org/x", "services": ["myspace"]},
            "services",
            "does not exist",
        ),
    ],
)
def test_bad_channels_get_a_400_naming_the_field(desk, whatsapp, fields, field, words):
    _, api = desk

    answer = add_channel(api, **fields)

    assert answer.status_code == 400
    assert words in json.dumps(answer.json()["errors"][field])


def test_a_category_and_a_service_list_together_are_refused(desk, whatsapp):
    _, api = desk

    answer = add_channel(
        api, kind="slack", url="https://example.org/x", category="social", services=["whatsapp"]
    )

    assert answer.status_code == 400
    assert "not both" in answer.json()["errors"]["category"][0]


def test_a_channel_url_on_a_private_address_is_refused(desk, settings):
    _, api = desk
    settings.ALERTS_ALLOW_PRIVATE_URLS = False

    answer = add_channel(api, kind="discord", url="http://127.0.0.1:9/hook")

    assert answer.status_code == 400
    assert "a loopback address; only public addresses can be reached" in answer.json()["errors"]["url"][0]


def test_a_private_address_is_refused_again_at_delivery(desk, chat, settings, outbox_started, whatsapp):
    key, api = desk
    add_channel(api, kind="slack", url=chat.url)
    settings.ALERTS_ALLOW_PRIVATE_URLS = False  # e.g. the name now resolves elsewhere
    open_spike(whatsapp)

    run_alerts()

    assert chat.posts == []
    delivery = ChannelDelivery.objects.get()
    assert (
        delivery.status == "failed"
        and "a loopback address; only public addresses can be reached" in delivery.error
    )


def test_channels_get_the_outages_they_asked_for(desk, chat, outbox_started, whatsapp, instagram):
    key, api = desk
    everything = add_channel(api, kind="slack", url=chat.url).json()["id"]
    social = add_channel(api, kind="slack", url=chat.url, category="social").json()["id"]
    listed = add_channel(api, kind="slack", url=chat.url, services=["whatsapp"]).json()["id"]
    india = add_channel(api, kind="slack", url=chat.url, regions=["IN"]).json()["id"]
    open_spike(whatsapp)
    open_spike(instagram)
    open_spike(whatsapp, region="BR")
    open_spike(instagram, level="warning", region="IN")

    run_alerts()

    reached = sorted(ChannelDelivery.objects.values_list("channel_id", "event__spike__service__slug"))
    assert reached == sorted(
        [(everything, "whatsapp"), (everything, "instagram"), (social, "instagram"), (listed, "whatsapp")]
    )
    assert NewsroomChannel.objects.get(pk=india).deliveries.count() == 0


def test_a_channel_hears_the_resolution_of_what_it_was_told(desk, chat, outbox_started, whatsapp):
    _, api = desk
    add_channel(api, kind="discord", url=chat.url)
    spike = open_spike(whatsapp)
    run_alerts()
    change(spike, "resolved")
    run_alerts()

    titles = [body["embeds"][0]["title"] for _, body in chat.posts]
    assert titles == ["Problems at WhatsApp", "WhatsApp: the problems are over"]


def alert(**fields) -> content.Alert:
    base = channels.test_alert()
    return content.Alert(**{**base.__dict__, **fields})


def test_slack_gets_block_kit_within_its_limits():
    long = alert(subject="W" * 400, note="<@channel> & " + "n" * 5000)

    message = channels.slack_message(long)

    header, section, fields, actions, context = message["blocks"]
    assert header["type"] == "header" and len(header["text"]["text"]) == 150
    assert len(section["text"]["text"]) <= 3000
    assert len(fields["fields"]) <= 10 and all(len(f["text"]) <= 2000 for f in fields["fields"])
    assert "&lt;@channel&gt; &amp;" in json.dumps(fields)  # no mention, no broken markup
    assert actions["elements"][0]["url"] == long.url
    assert len(message["text"]) <= 3000


def test_discord_gets_one_embed_within_its_limits_and_pings_nobody():
    long = alert(
        subject="W" * 3000, note="@everyone " + "n" * 9000, countries=tuple("C" * 300 for _ in range(3))
    )

    message = channels.discord_message(long, NOW)

    assert len(message["content"]) <= 2000
    assert message["allowed_mentions"] == {"parse": []}
    [embed] = message["embeds"]
    assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
    assert len(embed["fields"]) <= 25
    assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed["fields"])
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert total + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"]) <= 6000


def test_teams_gets_an_adaptive_card_message():
    message = channels.teams_message(alert())

    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["body"][0]["text"] == "Problems at Example Service"
    assert {"title": "Top problems", "value": "Login 64%, Pictures 21%"} in card["body"][2]["facts"]
    assert card["actions"][0]["type"] == "Action.OpenUrl"


def test_a_webhook_channel_gets_a_signed_envelope(desk, chat, outbox_started, whatsapp):
    _, api = desk
    secret = add_channel(api, kind="webhook", url=chat.url).json()["secret"]
    spike = open_spike(whatsapp)

    run_alerts()

    [(headers, body)] = chat.posts
    assert body["type"] == "alert.detected"
    assert body["data"]["spike"]["id"] == spike.pk and body["data"]["spike"]["service"] == "whatsapp"
    assert secret.startswith("whsec_")
    assert signing.verify(secret, headers, chat.raw[0]) == headers["webhook-id"]


def test_the_test_action_sends_a_test_message_and_reports_the_answer(desk, chat):
    _, api = desk
    channel = add_channel(api, kind="teams", url=chat.url).json()["id"]

    answer = api.post(f"/api/v1/alert-channels/{channel}/test/")

    assert answer.json() == {"status": "sent", "response_status": 200, "error": ""}
    assert chat.posts[0][1]["attachments"][0]["content"]["body"][0]["text"] == "Problems at Example Service"


def test_a_refusing_channel_fails_with_the_reason_and_a_busy_one_is_retried(desk, chat, whatsapp):
    _, api = desk
    channel = add_channel(api, kind="slack", url=chat.url).json()["id"]
    chat.status = 404
    assert api.post(f"/api/v1/alert-channels/{channel}/test/").json()["status"] == "failed"

    chat.status = 503
    delivery = ChannelDelivery.objects.create(channel_id=channel, event=None)
    assert channels.deliver(delivery.pk) == "pending"


def test_a_channel_for_a_list_of_services_leaves_the_others_out(db, whatsapp):
    tv = ServiceFactory(slug="tv", name="TV", category="video")
    key, _ = keys.issue_key("Desk", ["newsroom"])
    channel = NewsroomChannel.objects.create(key=key, kind="slack", url="https://example.org/x")
    channel.services.set([tv])
    spike = open_spike(whatsapp)
    event = AlertEvent.objects.create(spike=spike, phase="detected")

    assert not channels.matches(channel, event)


def test_a_channel_switched_off_after_failures_is_switched_back_on(desk, chat):
    _, api = desk
    channel = add_channel(api, kind="slack", url=chat.url).json()["id"]
    NewsroomChannel.objects.filter(pk=channel).update(
        is_active=False, consecutive_failures=20, disabled_at=NOW
    )

    answer = api.patch(f"/api/v1/alert-channels/{channel}/", {"is_active": True}, format="json")

    assert answer.status_code == 200
    assert (answer.json()["is_active"], answer.json()["consecutive_failures"]) == (True, 0)
    assert api.delete(f"/api/v1/alert-channels/{channel}/").status_code == 204
    assert not NewsroomChannel.objects.exists()


def test_the_admin_refuses_a_private_channel_url_too(db, settings):
    settings.ALERTS_ALLOW_PRIVATE_URLS = False
    key, _ = keys.issue_key("Desk", ["newsroom"])
    channel = NewsroomChannel(key=key, kind="slack", url="http://127.0.0.1/hook")

    with pytest.raises(ValidationError, match="a loopback address; only public addresses can be reached"):
        channel.full_clean()
