"""A webhook cannot be aimed into our own network: not when it is registered (API or
admin), and not at delivery, where the address dialled is the one checked, so a
name re-pointed at 127.0.0.1 after registration (DNS rebinding) reaches nothing."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from standardwebhooks import Webhook

from outagewatch import safehttp
from partners import keys, signing, webhooks
from partners.models import WebhookDelivery, WebhookEndpoint


class Rebinding:
    """A name that answers a public address first, then 127.0.0.1: the resolver of
    an attacker's DNS server, the one outside party here."""

    def __init__(self, name: str, answers: list[str]):
        self.name, self.answers, self.asked = name, list(answers), 0

    def __call__(self, host: str, port: int) -> list[str]:
        if host != self.name:
            return safehttp.system_resolver(host, port)
        self.asked += 1
        return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]


@pytest.fixture
def hooker(db):
    return keys.issue_key("Newsroom", ["read", "webhooks"])


def test_a_name_rebound_to_loopback_after_registration_gets_no_delivery(api, hooker, receiver):
    _, raw = hooker
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://rebind.attacker.example:{port}/hooks/outagewatch"
    names = Rebinding("rebind.attacker.example", ["93.184.215.14", "127.0.0.1"])

    with safehttp.use_resolver(names):
        registered = api.post(
            "/api/v1/webhook-endpoints/", {"url": url}, format="json", HTTP_AUTHORIZATION=f"Bearer {raw}"
        )
        assert registered.status_code == 201, registered.content
        delivery = webhooks.test_event(WebhookEndpoint.objects.get())
        status = webhooks.deliver(delivery.pk)

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert status == "pending" and delivery.response_status is None
    assert delivery.error.startswith("refused:") and "127.0.0.1, a loopback address" in delivery.error
    assert names.asked == 2  # once to register, once to deliver: never again between check and connect


def test_the_admin_refuses_an_endpoint_on_a_private_address(admin_client, hooker):
    key, _ = hooker
    form = {
        "key": key.pk,
        "url": "http://[64:ff9b::7f00:1]:8000/hook",
        "regions": "[]",
        "min_level": "warning",
    }

    response = admin_client.post("/admin/partners/webhookendpoint/add/", {**form, "is_active": "on"})

    assert response.status_code == 200  # the form again, with the error
    assert "127.0.0.1, a loopback address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_accepts_an_endpoint_on_a_public_address(admin_client, hooker):
    key, _ = hooker
    form = {"key": key.pk, "url": "https://93.184.215.14/hook", "regions": "[]", "min_level": "warning"}
    form["secret"] = signing.new_secret()  # the add form offers a fresh one

    response = admin_client.post("/admin/partners/webhookendpoint/add/", {**form, "is_active": "on"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert WebhookEndpoint.objects.get().url == "https://93.184.215.14/hook"


@pytest.mark.django_db(transaction=True)
def test_endpoints_made_before_standard_webhooks_keep_their_secret_and_their_header(receiver, settings):
    """The migration: an endpoint whose partner holds a 64-hex secret goes on being
    verifiable with that same string, by the old header and by the new ones."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    executor = MigrationExecutor(connection)
    executor.migrate([("partners", "0001_initial")])
    old_apps = executor.loader.project_state([("partners", "0001_initial")]).apps
    old_secret = "0f" * 32
    old_key = old_apps.get_model("partners", "PartnerKey").objects.create(
        name="Old partner", prefix="ow_old", hashed_key="x" * 64, scopes=["webhooks"]
    )
    old_apps.get_model("partners", "WebhookEndpoint").objects.create(
        key=old_key, url=receiver.url, secret=old_secret
    )

    MigrationExecutor(connection).migrate([("partners", "0002_standard_webhooks")])
    latest = MigrationExecutor(connection)  # and on to the models as they are now
    latest.migrate(latest.loader.graph.leaf_nodes())
    endpoint = WebhookEndpoint.objects.get()
    webhooks.deliver(webhooks.test_event(endpoint).pk)

    [received] = receiver.requests
    assert (endpoint.secret, endpoint.legacy_signature) == ("whsec_" + old_secret, True)
    legacy = received.headers[signing.LEGACY_HEADER]
    t = int(legacy.split(",")[0].removeprefix("t="))
    assert legacy == signing.legacy_sign(old_secret, received.body, timestamp=t)
    assert json.loads(received.body)["type"] == "test"
    Webhook(old_secret).verify(received.body, received.headers)
    assert WebhookDelivery.objects.get().status == "delivered"
