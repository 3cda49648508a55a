"""Webhooks end to end: the outbox makes events from spike changes, deliveries go
to a real HTTP receiver on 127.0.0.1, signed, retried, timed out, and switched off."""

import ipaddress
import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from outagewatch.celery import app
from partners import keys, signing, webhooks
from partners.api.serializers import SpikeSerializer
from partners.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from partners.tasks import deliver_webhook, emit_webhook_events
from partners.tests.conftest import T0, make_incident, make_spike


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(settings):
    # Webhooks reach only public addresses; the receiver is on loopback, which this
    # deployment (the test) allows, and nothing else private.
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]


@pytest.fixture
def eager_celery():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def partner(db):
    key, _ = keys.issue_key("Newsroom", ["read", "webhooks"])
    return key


def endpoint_for(partner, receiver, **filters):
    services = filters.pop("services", [])
    groups = filters.pop("groups", [])
    endpoint = WebhookEndpoint.objects.create(key=partner, url=receiver.url, **filters)
    endpoint.services.set(services)
    endpoint.groups.set(groups)
    return endpoint


def started_outbox():
    """The outbox's first run only marks where news begins."""
    assert webhooks.collect_events() == []


class TestOutbox:
    def test_spike_changes_become_events_once(self, partner, receiver, whatsapp):
        endpoint = endpoint_for(partner, receiver)
        started_outbox()
        spike = make_spike(whatsapp, T0, level="warning")
        spike.changes.create(at=T0 + timedelta(minutes=9), kind="level_changed", level="danger")
        spike.changes.create(at=T0 + timedelta(minutes=40), kind="resolved", level="danger")
        spike.changes.create(at=T0 + timedelta(minutes=9), kind="grouped", note="not news for partners")

        first = webhooks.collect_events()
        again = webhooks.collect_events()

        kinds = list(WebhookEvent.objects.order_by("pk").values_list("kind", flat=True))
        assert kinds == ["spike.opened", "spike.level_changed", "spike.resolved"]
        assert len(first) == 3 and again == []
        assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 3
        payload = WebhookEvent.objects.order_by("pk").first().payload
        assert payload["type"] == "spike.opened" and payload["data"]["service"] == "whatsapp"
        # One JSON form of a spike: the webhook carries what the API returns for it,
        # and the service's status beside it.
        spike_part = {k: v for k, v in payload["data"].items() if k != "service_status"}
        assert spike_part == SpikeSerializer(spike).data

    def test_history_from_before_the_first_run_is_not_sent(self, partner, receiver, whatsapp):
        endpoint_for(partner, receiver)
        make_spike(whatsapp, T0)

        started_outbox()

        assert webhooks.collect_events() == []

    def test_a_change_committed_late_with_a_lower_id_is_still_sent(self, partner, receiver, whatsapp):
        endpoint_for(partner, receiver)
        started_outbox()
        early = make_spike(whatsapp, T0)
        late = early.changes.create(at=T0 + timedelta(minutes=5), kind="level_changed", level="danger")
        # As if `late` had been invisible (uncommitted) during this run:
        late_id = late.pk
        late.delete()
        webhooks.collect_events()
        late.pk = late_id
        late.save(force_insert=True)

        webhooks.collect_events()

        assert WebhookEvent.objects.filter(change_id=late_id).exists()

    def test_an_incident_opening_is_an_event(self, partner, receiver, whatsapp, instagram, meta):
        endpoint_for(partner, receiver)
        started_outbox()
        make_incident(meta, [make_spike(whatsapp, T0), make_spike(instagram, T0)])

        webhooks.collect_events()

        event = WebhookEvent.objects.get(kind="incident.opened")
        assert event.payload["data"]["services"] == ["instagram", "whatsapp"]
        assert event.payload["data"]["group"] == "meta"

    @pytest.mark.parametrize(
        ("filters", "sent_for"),
        [
            ({}, {"wa-all", "wa-us", "comcast-de"}),
            ({"min_level": "danger"}, {"wa-all", "comcast-de"}),
            ({"regions": ["US"]}, {"wa-us"}),
            ({"regions": ["all", "DE"]}, {"wa-all", "comcast-de"}),
            ({"groups": ["meta"]}, {"wa-all", "wa-us"}),
            ({"services": ["comcast"]}, {"comcast-de"}),
        ],
    )
    def test_endpoint_filters_choose_what_is_sent(
        self, partner, receiver, whatsapp, comcast, meta, filters, sent_for
    ):
        lookup = {"meta": meta, "whatsapp": whatsapp, "comcast": comcast}
        for name in ("groups", "services"):
            if name in filters:
                filters[name] = [lookup[slug] for slug in filters[name]]
        endpoint = endpoint_for(partner, receiver, **filters)
        started_outbox()
        spikes = {
            "wa-all": make_spike(whatsapp, T0, level="danger"),
            "wa-us": make_spike(whatsapp, T0, region="US", level="warning"),
            "comcast-de": make_spike(comcast, T0, region="DE", level="danger"),
        }

        webhooks.collect_events()

        sent = set(
            WebhookDelivery.objects.filter(endpoint=endpoint).values_list("event__spike_id", flat=True)
        )
        assert sent == {spikes[name].pk for name in sent_for}

    def test_keys_that_are_revoked_or_lack_the_webhooks_scope_get_nothing(self, receiver, whatsapp):
        revoked, _ = keys.issue_key("Gone", ["webhooks"])
        keys.revoke(revoked)
        reader, _ = keys.issue_key("Reader", ["read"])
        for key in (revoked, reader):
            endpoint_for(key, receiver)
        started_outbox()
        make_spike(whatsapp, T0)

        assert webhooks.collect_events() == []


class TestDelivery:
    def test_the_receiver_gets_the_event_signed_and_the_attempt_is_logged(
        self, partner, receiver, whatsapp, eager_celery
    ):
        endpoint = endpoint_for(partner, receiver)
        started_outbox()
        make_spike(whatsapp, T0)

        emit_webhook_events.delay()

        [received] = receiver.requests
        delivery = WebhookDelivery.objects.get()
        # As a partner's receiver checks it, with the Standard Webhooks library.
        assert Webhook(endpoint.secret).verify(received.body, received.headers)["type"] == "spike.opened"
        assert (
            received.headers["webhook-id"] == received.headers["X-Outagewatch-Delivery"] == str(delivery.pk)
        )
        assert received.headers["X-Outagewatch-Event"] == "spike.opened"
        assert signing.LEGACY_HEADER not in received.headers  # a new endpoint gets only the standard one
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
        assert delivery.duration_ms is not None and delivery.error == ""

    def test_a_failing_receiver_is_retried_until_it_answers(self, partner, receiver, whatsapp, eager_celery):
        receiver.script = [(500, 0), (503, 0), (200, 0)]
        endpoint = endpoint_for(partner, receiver)
        delivery = webhooks.test_event(endpoint)

        deliver_webhook.delay(delivery.pk)

        delivery.refresh_from_db()
        endpoint.refresh_from_db()
        assert len(receiver.requests) == 3
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
        assert endpoint.consecutive_failures == 0 and endpoint.is_active
        # every retry is signed afresh, with the same id, and the same body goes out each time
        assert len({r.body for r in receiver.requests}) == 1
        assert {r.headers["webhook-id"] for r in receiver.requests} == {str(delivery.pk)}

    def test_a_slow_receiver_times_out_and_counts_as_a_failure(self, partner, receiver, whatsapp, settings):
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
        receiver.script = [(200, 1.0)]
        delivery = webhooks.test_event(endpoint_for(partner, receiver))

        status = webhooks.deliver(delivery.pk)

        delivery.refresh_from_db()
        assert status == "pending" and delivery.attempts == 1
        assert "timed out" in delivery.error.lower() and delivery.response_status is None
        assert 200 <= delivery.duration_ms < 1000

    def test_a_delivery_gives_up_after_its_last_attempt(self, partner, receiver, settings, eager_celery, db):
        settings.WEBHOOK_MAX_ATTEMPTS = 3
        receiver.script = [(500, 0)]
        delivery = webhooks.test_event(endpoint_for(partner, receiver))

        deliver_webhook.delay(delivery.pk)

        delivery.refresh_from_db()
        assert len(receiver.requests) == 3
        assert (delivery.status, delivery.response_status, delivery.error) == ("failed", 500, "HTTP 500")

    def test_an_endpoint_is_switched_off_after_repeated_failures(
        self, partner, receiver, settings, eager_celery
    ):
        settings.WEBHOOK_DISABLE_AFTER = 4
        receiver.script = [(500, 0)]
        endpoint = endpoint_for(partner, receiver)
        first, second = webhooks.test_event(endpoint), webhooks.test_event(endpoint)

        deliver_webhook.delay(first.pk)
        deliver_webhook.delay(second.pk)

        endpoint.refresh_from_db()
        assert not endpoint.is_active and endpoint.disabled_at is not None
        assert len(receiver.requests) == 4
        assert WebhookDelivery.objects.get(pk=second.pk).status == "failed"

    def test_an_unreachable_receiver_is_logged_not_raised(self, partner):
        endpoint = WebhookEndpoint.objects.create(key=partner, url="http://127.0.0.1:9/closed")
        delivery = webhooks.test_event(endpoint)

        assert webhooks.deliver(delivery.pk) == "pending"
        delivery.refresh_from_db()
        assert delivery.error.startswith("ConnectionRefusedError")

    def test_the_admin_action_sends_a_test_event(
        self, admin_client, partner, receiver, eager_celery, django_capture_on_commit_callbacks
    ):
        endpoint = endpoint_for(partner, receiver)

        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                "/admin/partners/webhookendpoint/",
                {"action": "send_test_event", "_selected_action": [endpoint.pk]},
            )

        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert (delivery.event.kind, delivery.status) == ("test", "delivered")
        assert json.loads(receiver.requests[0].body)["type"] == "test"


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    import random

    rng = random.Random(7)
    waits = [webhooks.backoff_seconds(n, rng) for n in range(12)]

    assert all(10 * 2**n / 2 <= w <= 10 * 2**n for n, w in enumerate(waits[:8]))
    assert max(waits) <= 3600
    assert len({round(webhooks.backoff_seconds(3), 3) for _ in range(5)}) > 1


def test_a_redirect_is_a_failed_attempt_not_followed(partner, receiver):
    receiver.script = [(302, 0)]
    delivery = webhooks.test_event(endpoint_for(partner, receiver))

    assert webhooks.deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert (delivery.response_status, len(receiver.requests)) == (302, 1)


def test_nothing_is_sent_for_a_key_revoked_after_the_event(partner, receiver):
    delivery = webhooks.test_event(endpoint_for(partner, receiver))
    keys.revoke(partner)

    assert webhooks.deliver(delivery.pk) == "failed"
    assert receiver.requests == []


def test_a_real_outage_reaches_the_partner_as_spike_opened(partner, receiver, whatsapp, eager_celery):
    """From reports through the detector to the receiver: nothing stubbed."""
    from spikes import pipeline
    from spikes.tests.factories import add_reports

    endpoint = endpoint_for(partner, receiver, services=[whatsapp])
    now = T0 + timedelta(days=2)
    add_reports(whatsapp, T0, minutes=2 * 1440, per_minute=4, reporter="quiet")
    pipeline.run_pass(now)
    pipeline.refresh_baselines(now)
    started_outbox()
    add_reports(whatsapp, now + timedelta(minutes=10), minutes=20, per_minute=40, reporter="outage")
    pipeline.run_pass(now + timedelta(minutes=25))

    emit_webhook_events.delay()

    events = [json.loads(r.body) for r in receiver.requests]
    assert "spike.opened" in {e["type"] for e in events}
    opened = next(e for e in events if e["type"] == "spike.opened")
    assert opened["data"]["service"] == "whatsapp"
    for r in receiver.requests:
        signing.verify(endpoint.secret, r.headers, r.body)
