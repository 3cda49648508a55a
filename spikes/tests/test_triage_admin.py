"""Triage in the admin: a staff member with the "can triage" permission (no
superuser) works the queue and confirms, dismisses or reopens spikes in bulk."""

import pytest
from django.contrib.auth.models import User

from spikes.models import Spike
from spikes.tests.factories import SpikeFactory
from spikes.tests.factories import triager as triage_user

QUEUE = "/admin/spikes/spikeawaitingverdict/"
SPIKES = "/admin/spikes/spike/"


@pytest.fixture
def triager(client, db):
    client.force_login(triage_user())
    return client


def test_the_triage_queue_lists_open_spikes_without_a_verdict_largest_first(triager, whatsapp, instagram):
    small = SpikeFactory(service=whatsapp, region="IN", peak_reports=30)
    large = SpikeFactory(service=instagram, peak_reports=900)
    Spike.objects.filter(pk=SpikeFactory(service=whatsapp, region="US").pk).update(verdict="confirmed")

    page = triager.get(QUEUE)

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [large, small]


def test_a_triager_confirms_and_reopens_in_bulk_and_the_history_says_who(triager, whatsapp, instagram):
    spikes = [SpikeFactory(service=whatsapp), SpikeFactory(service=instagram)]
    ids = [s.pk for s in spikes]

    triager.post(QUEUE, {"action": "confirm_selected", "_selected_action": ids})
    assert set(Spike.objects.values_list("verdict", "confirmed_by")) == {("confirmed", "staff")}
    assert set(Spike.objects.get(pk=ids[0]).changes.values_list("kind", "actor_name")) >= {
        ("confirmed", "tess")
    }

    response = triager.post(SPIKES, {"action": "reopen_selected", "_selected_action": ids}, follow=True)
    assert set(Spike.objects.values_list("verdict", flat=True)) == {"suspected"}
    assert "2 spikes reopened." in response.content.decode()


def test_a_bulk_dismissal_asks_for_the_reason_first(triager, whatsapp, instagram):
    ids = [SpikeFactory(service=whatsapp).pk, SpikeFactory(service=instagram).pk]

    asked = triager.post(QUEUE, {"action": "dismiss_selected", "_selected_action": ids})
    assert asked.status_code == 200 and "Dismiss 2 spikes" in asked.content.decode()
    assert set(Spike.objects.values_list("verdict", flat=True)) == {"suspected"}

    refused = triager.post(
        QUEUE, {"action": "dismiss_selected", "_selected_action": ids, "apply": "1", "reason": "other"}
    )
    assert "Say why in the note" in refused.content.decode()

    triager.post(
        QUEUE,
        {
            "action": "dismiss_selected",
            "_selected_action": ids,
            "apply": "1",
            "reason": "news_curiosity",
            "note": "TV",
        },
    )
    assert set(Spike.objects.values_list("verdict", "dismissed_reason", "verdict_note")) == {
        ("dismissed", "news_curiosity", "TV")
    }


def test_a_verdict_that_changes_nothing_is_reported_and_the_rest_applied(triager, whatsapp, instagram):
    done, fresh = SpikeFactory(service=whatsapp), SpikeFactory(service=instagram)
    triager.post(SPIKES, {"action": "confirm_selected", "_selected_action": [done.pk]})

    page = triager.post(
        SPIKES, {"action": "confirm_selected", "_selected_action": [done.pk, fresh.pk]}, follow=True
    )

    html = page.content.decode()
    assert "1 spike confirmed." in html and f"#{done.pk}: This spike is already confirmed" in html


def test_staff_without_the_permission_can_neither_see_nor_triage(client, whatsapp):
    user = User.objects.create_user("sam", password="x", is_staff=True)
    client.force_login(user)
    spike = SpikeFactory(service=whatsapp)

    assert client.get(QUEUE).status_code == 403
    client.post(SPIKES, {"action": "confirm_selected", "_selected_action": [spike.pk]})
    assert Spike.objects.get(pk=spike.pk).verdict == "suspected"


def test_spikes_cannot_be_edited_or_deleted_in_the_admin(triager, whatsapp):
    spike = SpikeFactory(service=whatsapp)

    page = triager.get(f"{SPIKES}{spike.pk}/change/")

    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert triager.post(f"{SPIKES}{spike.pk}/delete/").status_code == 403
