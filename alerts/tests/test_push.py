"""Browser notifications, encrypted for real and decrypted by the test's push
service as the browser would (RFC 8291), signed with our VAPID key (RFC 8292);
and the browser's JSON endpoints, input by input."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from alerts import delivery, push
from alerts.apps import check_push_settings
from alerts.models import Follow, Notification, Subscriber
from alerts.tests.conftest import NOW, change, open_spike, push_subscriber, run_alerts


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        yield


def claims(jwt: str) -> dict:
    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_a_follower_s_browser_gets_an_encrypted_notification_opening_the_spike_page(
    outbox_started, push_service, whatsapp
):
    browser = push_service.browser("ana")
    push_subscriber(browser, whatsapp)
    spike = open_spike(whatsapp)

    run_alerts()

    assert push_service.problems == []
    [shown] = browser.shown
    assert shown == {
        "title": "Problems at WhatsApp",
        "body": "User reports indicate problems at WhatsApp since Wed 4 Mar, 11:56 UTC.",
        "url": f"https://outagewatch.example/outages/{spike.pk}/",
        "tag": f"spike:{spike.pk}",
    }
    [headers] = browser.headers
    assert headers["vapid_key"] == push.public_key()
    assert claims(headers["jwt"])["aud"] == push_service.url
    assert claims(headers["jwt"])["sub"].startswith("mailto:")
    assert int(headers["ttl"]) > 0 and headers["urgency"] == "high"
    assert len(headers["topic"]) <= 32


def test_the_resolution_replaces_the_opening_on_screen(outbox_started, push_service, whatsapp):
    browser = push_service.browser("ana")
    push_subscriber(browser, whatsapp)
    spike = open_spike(whatsapp)
    run_alerts()
    change(spike, "resolved")
    run_alerts()

    opened, resolved = browser.shown
    assert resolved["title"] == "WhatsApp: the problems are over"
    assert opened["tag"] == resolved["tag"]  # one notification on screen, updated


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_deleted(
    outbox_started, push_service, whatsapp, status
):
    browser = push_service.browser("gone", status=status)
    subscriber = push_subscriber(browser, whatsapp)
    open_spike(whatsapp)

    run_alerts()

    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert not Follow.objects.filter(subscriber_id=subscriber.pk).exists()


def test_a_busy_push_service_gets_the_message_again_later(outbox_started, push_service, whatsapp):
    browser = push_service.browser("busy", status=503)
    subscriber = push_subscriber(browser, whatsapp)
    open_spike(whatsapp)
    run_alerts()
    assert Notification.objects.get(subscriber=subscriber).status == "pending"

    browser.status = 201
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        delivery.send_pushes()

    assert len(browser.shown) == 1


# --- the browser's endpoints -------------------------------------------------------------


def post(client, body, method="post", path="/alerts/push/"):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def test_a_browser_follows_a_service_and_stops(client, push_service, whatsapp):
    browser = push_service.browser("ana")
    body = {
        "subscription": browser.subscription(),
        "service": "whatsapp",
        "region": "in",
        "time_zone": "Asia/Kolkata",
    }

    followed = post(client, body)
    assert followed.status_code == 201
    assert followed.json()["following"] == [
        {
            "id": Follow.objects.get().pk,
            "service": "whatsapp",
            "group": None,
            "name": "WhatsApp in India",
            "region": "IN",
        }
    ]
    subscriber = Subscriber.objects.get()
    assert (subscriber.medium, subscriber.time_zone, subscriber.endpoint) == (
        "push",
        "Asia/Kolkata",
        browser.endpoint,
    )

    status = post(client, {"subscription": browser.subscription()}, path="/alerts/push/status/")
    assert [f["service"] for f in status.json()["following"]] == ["whatsapp"]

    stopped = post(client, body, method="delete")
    assert stopped.json() == {"following": []}
    assert not Subscriber.objects.exists()  # a browser following nothing is forgotten


def test_a_browser_follows_a_whole_group(client, push_service, meta, whatsapp):
    browser = push_service.browser("ana")

    followed = post(client, {"subscription": browser.subscription(), "group": "meta"})

    assert followed.status_code == 201
    assert followed.json()["following"][0]["name"] == "all Meta services"


def test_another_browser_cannot_read_or_stop_someone_s_follows(client, push_service, whatsapp):
    ana, mallory = push_service.browser("ana"), push_service.browser("mallory")
    post(client, {"subscription": ana.subscription(), "service": "whatsapp"})
    forged = {**ana.subscription(), "keys": mallory.subscription()["keys"]}

    assert post(client, {"subscription": forged}, path="/alerts/push/status/").json() == {"following": []}
    post(client, {"subscription": forged, "service": "whatsapp"}, method="delete")
    assert Follow.objects.count() == 1


def _bad(subscription_change: dict, **body) -> dict:
    subscription = {"endpoint": "https://push.example.net/send/abc", "keys": {"p256dh": "", "auth": ""}}
    subscription.update(subscription_change)
    return {"subscription": subscription, "service": "whatsapp", **body}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"keys": {"p256dh": "bm90IGEga2V5", "auth": "c2l4dGVlbiBieXRlcyEhIQ"}},
            "subscription.keys.p256dh",
            "P-256",
        ),
        (
            {
                "keys": {
                    "p256dh": "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    "auth": "c2l4dGVlbiBieXRlcyEhIQ",
                }
            },
            "subscription.keys.p256dh",
            "P-256",
        ),
        ({"keys": {"auth": "c2l4dGVlbiBieXRlcyEhIQ"}}, "subscription.keys", "p256dh"),
        ({"endpoint": "not a url"}, "subscription.endpoint", "valid URL"),
    ],
)
def test_a_subscription_with_bad_keys_or_endpoint_is_a_clear_400(client, whatsapp, body, field, words):
    answer = post(client, _bad(body))

    assert answer.status_code == 400
    assert words in answer.json()["detail"]
    assert not Subscriber.objects.exists()


def test_a_short_auth_secret_is_a_clear_400(client, push_service, whatsapp):
    subscription = push_service.browser("ana").subscription()
    subscription["keys"]["auth"] = "c2hvcnQ"

    answer = post(client, {"subscription": subscription, "service": "whatsapp"})

    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "subscription.keys.auth": ["keys.auth must be the browser's 16-byte secret in base64url."]
    }


def test_a_push_endpoint_on_a_private_address_is_refused(client, push_service, whatsapp, settings):
    settings.ALERTS_ALLOW_PRIVATE_URLS = False
    subscription = push_service.browser("ana").subscription()
    subscription["endpoint"] = "https://127.0.0.1/push/ana"

    answer = post(client, {"subscription": subscription, "service": "whatsapp"})

    assert answer.status_code == 400
    assert "a loopback address; only public addresses can be reached" in answer.json()["detail"]


def test_plain_http_push_endpoints_are_refused(client, push_service, whatsapp, settings):
    settings.ALERTS_ALLOW_PRIVATE_URLS = False
    subscription = push_service.browser("ana").subscription()

    answer = post(client, {"subscription": subscription, "service": "whatsapp"})

    assert answer.json()["detail"] == "subscription.endpoint: The push endpoint must be an https:// URL."


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "words"),
    [
        ("{", "application/json", 400, "not valid JSON"),
        ("[]", "application/json", 400, "PushSubscription"),
        ('{"subscription": {}}', "text/plain", 415, "Send JSON"),
        ('{"subscription": {"endpoint": 5}}', "application/json", 400, "string"),
        ('{"subscription": {}, "x": "' + "a" * 5000 + '"}', "application/json", 413, "larger"),
    ],
)
def test_malformed_bodies_get_a_clear_4xx(client, raw, content_type, status, words):
    answer = client.post("/alerts/push/", raw, content_type=content_type)

    assert answer.status_code == status
    assert words in answer.json()["detail"]


def test_unknown_service_region_or_zone_is_named(client, push_service, whatsapp):
    subscription = push_service.browser("ana").subscription()
    for extra, words in [
        ({"service": "myspace"}, "There is no service 'myspace'."),
        ({"service": "whatsapp", "region": "XX"}, "'XX' is not a country code"),
        ({"service": "whatsapp", "time_zone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone"),
        ({}, "Name either a service or a group"),
    ]:
        answer = post(client, {"subscription": subscription, **extra})
        assert answer.status_code == 400, extra
        assert words in answer.json()["detail"], answer.json()


def test_too_many_follows_from_one_client_are_refused_with_retry_after(
    client, push_service, whatsapp, settings
):
    settings.ALERTS_PUSH_RATE_PER_CLIENT = (2, 3600)
    body = {"subscription": push_service.browser("ana").subscription(), "service": "whatsapp"}
    post(client, body)
    post(client, body)

    answer = post(client, body)

    assert answer.status_code == 429
    assert int(answer["Retry-After"]) > 0


def test_the_service_worker_is_served_with_a_scope_that_works(client):
    answer = client.get("/alerts/sw.js")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Service-Worker-Allowed"] == "/alerts/"
    assert answer["Cache-Control"] == "no-cache"
    assert b"showNotification" in answer.content and b"notificationclick" in answer.content


def test_the_key_command_prints_a_key_the_app_accepts(settings):
    out = StringIO()
    call_command("alerts_vapid_key", stdout=out)
    settings.ALERTS_VAPID_PRIVATE_KEY = out.getvalue().split("\n")[0].split("=", 1)[1]

    assert len(push.b64url_decode(push.public_key())) == 65


def test_a_vapid_key_that_is_not_one_stops_the_start(settings):
    settings.ALERTS_VAPID_PRIVATE_KEY = "not-a-key"
    settings.ALERTS_VAPID_SUBJECT = "alerts@example.org"

    assert {problem.id for problem in check_push_settings()} == {"alerts.E001", "alerts.E002"}
