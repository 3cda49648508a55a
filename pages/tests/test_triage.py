"""Triage from the spike page: signed-in staff who may triage confirm, dismiss
with a reason or reopen; nobody else sees the form or gets through."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from pages.tests.conftest import NOW, make_spike
from spikes.models import Spike
from spikes.tests.factories import triager as triage_user


@pytest.fixture
def triager(client, db):
    client.force_login(triage_user())
    return client


@pytest.fixture
def spike(frozen, whatsapp):
    return make_spike(whatsapp, started_at=NOW - timedelta(minutes=20))


def triage(client, spike, **form):
    return client.post(f"/outages/{spike.pk}/triage/", form, follow=True)


def test_a_triager_sees_the_form_and_the_public_does_not(client, triager, spike):
    assert f'action="/outages/{spike.pk}/triage/"' in triager.get(f"/outages/{spike.pk}/").content.decode()
    client.logout()
    assert "/triage/" not in client.get(f"/outages/{spike.pk}/").content.decode()


def test_a_triager_dismisses_with_a_reason_and_the_permalink_shows_it(triager, spike, client):
    page = triage(triager, spike, action="dismiss", reason="report_bombing", note="One botnet, 400 reports")

    html = page.content.decode()
    assert "Dismissed." in html
    assert "Dismissed by our staff: report bombing. One botnet, 400 reports" in " ".join(html.split())
    spike.refresh_from_db()
    assert (spike.verdict, spike.dismissed_reason) == ("dismissed", "report_bombing")


def test_a_triager_confirms_then_reopens(triager, spike):
    triage(triager, spike, action="confirm", note="Our phones too")
    assert Spike.objects.get(pk=spike.pk).confirmed_by == "staff"

    page = triage(triager, spike, action="reopen")

    assert "Reopened: suspected again." in page.content.decode()
    assert Spike.objects.get(pk=spike.pk).verdict == "suspected"
    assert [c.kind for c in spike.changes.all()][-2:] == ["confirmed", "reopened"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"action": "dismiss"}, "Choose why the spike is dismissed."),
        (
            {"action": "dismiss", "reason": "other"},
            "Say why in the note when the reason is &quot;other&quot;.",
        ),
        ({"action": "explode"}, "Select a valid choice."),
        ({"action": "reopen"}, "This spike has no verdict to withdraw."),
        ({"action": "confirm", "note": "x" * 301}, "Ensure this value has at most 300 characters"),
    ],
)
def test_a_wrong_triage_is_refused_with_a_message(triager, spike, form, message):
    page = triage(triager, spike, **form)

    assert page.status_code == 200 and message in page.content.decode()
    assert Spike.objects.get(pk=spike.pk).verdict == "suspected"


def test_nobody_else_can_triage(client, spike):
    assert client.post(f"/outages/{spike.pk}/triage/", {"action": "confirm"}).status_code == 403
    client.force_login(User.objects.create_user("sam", password="x", is_staff=True))
    assert client.post(f"/outages/{spike.pk}/triage/", {"action": "confirm"}).status_code == 403
    assert client.get(f"/outages/{spike.pk}/triage/").status_code == 405
    assert Spike.objects.get(pk=spike.pk).verdict == "suspected"


def test_triage_of_a_missing_spike_is_a_404(triager, db):
    assert triager.post("/outages/999999/triage/", {"action": "confirm"}).status_code == 404
