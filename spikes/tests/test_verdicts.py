"""A spike's verdict apart from its lifecycle: who gives it, what it survives, and
what the history keeps."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from spikes import pipeline, verdicts
from spikes.models import ALL_REGIONS, Spike
from spikes.tests.conftest import T0
from spikes.tests.factories import ONSET, SpikeFactory, add_reports, learn_history, outage, triager
from spikes.verdicts import By, VerdictError


@pytest.fixture
def alice(db):
    return triager("alice")


def test_a_confirmation_survives_the_end_of_the_spike(whatsapp, alice):
    learn_history(whatsapp)
    outage(whatsapp, minutes=30)
    add_reports(whatsapp, ONSET, minutes=300, per_minute=4, reporter="normal")
    pipeline.run_pass(ONSET + timedelta(minutes=15))
    spike = Spike.objects.get(region=ALL_REGIONS)

    verdicts.confirm(
        spike.pk, By.staff(alice), note="Our own phones fail too", at=ONSET + timedelta(minutes=16)
    )
    pipeline.run_pass(ONSET + timedelta(hours=5))

    spike.refresh_from_db()
    assert spike.ended_at is not None
    assert (spike.verdict, spike.confirmed_by, spike.verdict_note) == (
        "confirmed",
        "staff",
        "Our own phones fail too",
    )
    assert [c.kind for c in spike.changes.all()][-2:] == ["confirmed", "resolved"]


def test_every_change_says_who_made_it_and_when(whatsapp, alice):
    spike = SpikeFactory(service=whatsapp)

    verdicts.dismiss(spike.pk, By.staff(alice), "report_bombing", at=T0 + timedelta(minutes=20))
    verdicts.reopen(spike.pk, By.staff(alice), note="Looked again", at=T0 + timedelta(minutes=25))
    verdicts.confirm(
        spike.pk, By.provider("WhatsApp status"), url="https://example.com/i/1", at=T0 + timedelta(minutes=30)
    )

    history = [
        (c.kind, c.actor, c.actor_name, c.user_id, c.reason, c.note, c.at - T0) for c in spike.changes.all()
    ]
    assert history == [
        ("opened", "detector", "", None, "", "", timedelta(minutes=3)),
        ("dismissed", "staff", "alice", alice.pk, "report_bombing", "", timedelta(minutes=20)),
        ("reopened", "staff", "alice", alice.pk, "", "Looked again", timedelta(minutes=25)),
        ("confirmed", "provider", "WhatsApp status", None, "", "", timedelta(minutes=30)),
    ]
    spike.refresh_from_db()
    assert (spike.verdict, spike.confirmed_by, spike.verdict_url) == (
        "confirmed",
        "provider",
        "https://example.com/i/1",
    )


def test_a_dismissal_keeps_its_reason_until_it_is_withdrawn(whatsapp, alice):
    spike = SpikeFactory(service=whatsapp)

    verdicts.dismiss(spike.pk, By.staff(alice), "news_curiosity", note="Everyone read the rumour")
    spike.refresh_from_db()
    assert (spike.verdict, spike.dismissed_reason, spike.verdict_note) == (
        "dismissed",
        "news_curiosity",
        "Everyone read the rumour",
    )

    verdicts.reopen(spike.pk, By.staff(alice))
    spike.refresh_from_db()
    assert (spike.verdict, spike.dismissed_reason, spike.verdict_note) == ("suspected", "", "")


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("boredom", "", "Choose a reason: Report bombing, News-driven curiosity, Test, Other."),
        ("", "", "Choose a reason"),
        ("other", "  ", 'Say in the note why the spike is dismissed when the reason is "other".'),
    ],
)
def test_it_refuses_a_dismissal_without_a_proper_reason(whatsapp, alice, reason, note, message):
    spike = SpikeFactory(service=whatsapp)

    with pytest.raises(VerdictError, match=message[:20]):
        verdicts.dismiss(spike.pk, By.staff(alice), reason, note=note)

    spike.refresh_from_db()
    assert spike.verdict == "suspected" and spike.changes.count() == 1


def test_it_refuses_changes_that_change_nothing(whatsapp, alice):
    spike = SpikeFactory(service=whatsapp)

    with pytest.raises(VerdictError, match="no verdict to withdraw"):
        verdicts.reopen(spike.pk, By.staff(alice))
    verdicts.confirm(spike.pk, By.staff(alice))
    with pytest.raises(VerdictError, match="already confirmed by our staff"):
        verdicts.confirm(spike.pk, By.staff(alice))
    verdicts.dismiss(spike.pk, By.staff(alice), "test")
    with pytest.raises(VerdictError, match="already dismissed"):
        verdicts.dismiss(spike.pk, By.staff(alice), "test")


def test_the_provider_outranks_a_staff_confirmation_but_never_a_staff_dismissal(whatsapp, instagram, alice):
    confirmed = SpikeFactory(service=whatsapp)
    dismissed = SpikeFactory(service=instagram)
    verdicts.confirm(confirmed.pk, By.staff(alice))
    verdicts.dismiss(dismissed.pk, By.staff(alice), "report_bombing")

    verdicts.confirm(confirmed.pk, By.provider("Meta status"))
    verdicts.confirm(dismissed.pk, By.provider("Meta status"))
    verdicts.confirm(confirmed.pk, By.provider("Meta status"))  # a second match changes nothing

    confirmed.refresh_from_db()
    dismissed.refresh_from_db()
    assert (confirmed.verdict, confirmed.confirmed_by) == ("confirmed", "provider")
    assert [c.actor for c in confirmed.changes.filter(kind="confirmed")] == ["staff", "provider"]
    assert (dismissed.verdict, dismissed.dismissed_reason) == ("dismissed", "report_bombing")
    assert not dismissed.changes.filter(actor="provider").exists()


def test_the_triage_queue_holds_open_spikes_without_a_verdict_largest_first(whatsapp, instagram, alice):
    small = SpikeFactory(service=whatsapp, region="IN", peak_reports=30, expected_reports=5)
    large = SpikeFactory(service=whatsapp, peak_reports=900, expected_reports=20)
    middle = SpikeFactory(service=instagram, peak_reports=200, expected_reports=10)
    SpikeFactory(service=instagram, region="US", ended_at=T0 + timedelta(hours=1))
    judged = SpikeFactory(service=instagram, region="BR", peak_reports=5000)
    verdicts.dismiss(judged.pk, By.staff(alice), "test")

    assert list(Spike.objects.awaiting_verdict()) == [large, middle, small]


def test_a_dismissed_spike_is_not_an_outage_going_on(whatsapp, instagram, alice):
    kept = SpikeFactory(service=whatsapp)
    gone = SpikeFactory(service=instagram)

    verdicts.dismiss(gone.pk, By.staff(alice), "test")

    assert list(Spike.objects.open()) == [kept]
    assert set(Spike.objects.all()) == {kept, gone}


def test_only_active_users_with_the_triage_permission_can_triage(alice, db):
    nobody = User.objects.create_user("bob", password="x", is_staff=True)
    gone = triager("carol", is_active=False)

    assert verdicts.can_triage(alice)
    assert not verdicts.can_triage(nobody)
    assert not verdicts.can_triage(User.objects.get(pk=gone.pk))
    assert verdicts.can_triage(User.objects.create_superuser("root", password="x"))


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_spike_and_its_history():
    before, after = (
        [("spikes", "0005_subdivision_minute")],
        [("spikes", "0006_verdict_apart_from_lifecycle")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    service = old.get_model("reports", "Service").objects.create(slug="old", name="Old", category="other")
    series = old.get_model("spikes", "Series").objects.create(service=service, region="")
    OldSpike, OldChange = old.get_model("spikes", "Spike"), old.get_model("spikes", "SpikeChange")
    ids = {}
    for status, ended in [("suspected", None), ("resolved", T0 + timedelta(hours=1)), ("dismissed", None)]:
        spike = OldSpike.objects.create(
            series=series
            if status == "suspected"
            else old.get_model("spikes", "Series").objects.create(service=service, region=status[:2].upper()),
            service=service,
            region="" if status == "suspected" else status[:2].upper(),
            level="danger",
            status=status,
            started_at=T0,
            detected_at=T0,
            peak_at=T0,
            peak_reports=50,
            expected_reports=2.0,
            ended_at=ended,
        )
        OldChange.objects.create(spike=spike, at=T0, kind="opened", level="warning")
        ids[status] = spike.pk

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    NewSpike = new.get_model("spikes", "Spike")

    assert {s.pk: (s.verdict, s.ended_at is not None) for s in NewSpike.objects.all()} == {
        ids["suspected"]: ("suspected", False),
        ids["resolved"]: ("suspected", True),
        ids["dismissed"]: ("dismissed", False),
    }
    assert (
        list(new.get_model("spikes", "SpikeChange").objects.values_list("kind", "actor"))
        == [("opened", "detector")] * 3
    )
    latest = MigrationExecutor(connection)  # leave the database as the other tests expect it
    latest.migrate(latest.loader.graph.leaf_nodes())
