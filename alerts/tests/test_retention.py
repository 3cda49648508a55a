"""Addresses are kept only while subscribed: the daily task deletes them a fixed
number of days after they left or were refused, with their follows and messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from alerts import tasks
from alerts.models import Follow, Subscriber
from alerts.tests.conftest import NOW, email_subscriber


@pytest.fixture
def people(whatsapp, settings):
    settings.ALERTS_RETENTION_DAYS = 30
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        left_long_ago = email_subscriber("old@example.org", whatsapp)
        left_long_ago.unsubscribe()
        refused = email_subscriber(
            "refused@example.org", whatsapp, status="bounced", bounced_at=NOW - timedelta(days=31)
        )
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        left_lately = email_subscriber("recent@example.org", whatsapp)
        left_lately.unsubscribe()
    staying = email_subscriber("staying@example.org", whatsapp)
    return left_long_ago, refused, left_lately, staying


def test_addresses_gone_for_the_retention_period_are_deleted_with_their_follows(people):
    left_long_ago, refused, left_lately, staying = people

    with time_machine.travel(NOW, tick=False):
        purged = tasks.purge_alert_data.delay().get()

    assert purged["subscribers"] == 2
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "recent@example.org",
        "staying@example.org",
    }
    assert not Follow.objects.filter(subscriber_id__in=[left_long_ago.pk, refused.pk]).exists()


def test_the_retention_task_can_run_twice(people):
    with time_machine.travel(NOW, tick=False):
        tasks.purge_alert_data.delay().get()
        assert tasks.purge_alert_data.delay().get()["subscribers"] == 0
