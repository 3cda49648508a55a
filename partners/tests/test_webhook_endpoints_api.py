"""Partners register, list, change and remove their own webhook endpoints."""

import pytest

from partners import keys
from partners.models import WebhookEndpoint

URL = "/api/v1/webhook-endpoints/"
PUBLIC = "https://93.184.216.34/hooks/outagewatch"


@pytest.fixture
def hooker(db):
    return keys.issue_key("Newsroom", ["read", "webhooks"])


def auth(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_partner_registers_an_endpoint_with_filters_and_gets_its_secret(api, hooker, whatsapp, meta):
    key, raw = hooker
    body = {
        "url": PUBLIC,
        "services": ["whatsapp"],
        "groups": ["meta"],
        "regions": ["in", "all"],
        "min_level": "danger",
    }

    response = api.post(URL, body, format="json", **auth(raw))

    assert response.status_code == 201, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.key == key and endpoint.regions == ["IN", "all"] and endpoint.min_level == "danger"
    assert response.json()["secret"] == endpoint.secret and endpoint.secret.startswith("whsec_")
    assert response.json()["legacy_signature"] is False
    assert [e["id"] for e in api.get(URL, **auth(raw)).json()] == [endpoint.pk]


def test_a_partner_changes_and_removes_its_endpoint(api, hooker):
    _, raw = hooker
    created = api.post(URL, {"url": PUBLIC}, format="json", **auth(raw)).json()

    changed = api.patch(f"{URL}{created['id']}/", {"min_level": "danger"}, format="json", **auth(raw))
    removed = api.delete(f"{URL}{created['id']}/", **auth(raw))

    assert changed.json()["min_level"] == "danger"
    assert removed.status_code == 204 and not WebhookEndpoint.objects.exists()


def test_a_partner_cannot_see_or_touch_another_partners_endpoints(api, hooker):
    _, raw = hooker
    other, _ = keys.issue_key("Other", ["webhooks"])
    theirs = WebhookEndpoint.objects.create(key=other, url=PUBLIC)

    assert api.get(URL, **auth(raw)).json() == []
    assert api.delete(f"{URL}{theirs.pk}/", **auth(raw)).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.216.34/x"}, "url"),
        ({"url": "http://127.0.0.1:8000/admin/"}, "url"),
        ({"url": "http://10.1.2.3/hook"}, "url"),
        ({"url": "http://[::1]/hook"}, "url"),
        ({"url": "http://[::127.0.0.1]/hook"}, "url"),
        ({"url": "http://[64:ff9b::7f00:1]/hook"}, "url"),
        ({"url": "http://[2002:7f00:1::]/hook"}, "url"),
        ({"url": "http://[::ffff:169.254.169.254]/latest/meta-data/"}, "url"),
        ({"url": "http://224.0.0.1/hook"}, "url"),
        ({"url": "http://100.64.0.1/hook"}, "url"),
        ({"url": "http://user:pass@93.184.216.34/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": PUBLIC, "services": ["nope"]}, "services"),
        ({"url": PUBLIC, "regions": ["XX"]}, "regions"),
        ({"url": PUBLIC, "min_level": "meh"}, "min_level"),
    ],
)
def test_it_refuses_bad_endpoints_naming_the_field(api, hooker, body, field):
    _, raw = hooker

    response = api.post(URL, body, format="json", **auth(raw))

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_private_urls_can_be_allowed_for_a_closed_deployment(api, hooker, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    _, raw = hooker

    assert api.post(URL, {"url": "http://10.1.2.3/hook"}, format="json", **auth(raw)).status_code == 201


def test_without_a_key_or_the_webhooks_scope_there_is_no_access(api, db):
    _, reader = keys.issue_key("Reader", ["read"])

    assert api.get(URL).status_code == 401
    response = api.get(URL, **auth(reader))
    assert response.status_code == 403 and "webhooks" in response.json()["detail"]
