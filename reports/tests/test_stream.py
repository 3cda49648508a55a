"""The stream fast path: 201 once the report is in Redis, stored by the mover once."""

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from reports import mover, stream
from reports.models import Report
from reports.signals import reports_stored
from reports.tasks import move_reports

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)"
    ),
]

URL = "/api/v1/reports/"
GOOD = {"service": "whatsapp", "problem": "pictures", "region": "IN"}


@pytest.fixture
def redis_conn(settings):
    settings.REPORT_STREAM = True
    stream.reset()
    conn = stream.client()
    conn.delete(stream.STREAM, stream.DEAD_LETTERS)
    yield conn
    conn.delete(stream.STREAM, stream.DEAD_LETTERS)
    stream.reset()


def post(client, body=None, address="198.51.100.20", agent="Firefox/140"):
    return client.post(
        URL,
        json.dumps(body or GOOD),
        content_type="application/json",
        REMOTE_ADDR=address,
        HTTP_USER_AGENT=agent,
    )


def test_it_answers_201_at_once_and_the_mover_stores_the_report_once(client, whatsapp, redis_conn):
    response = post(client)

    assert response.status_code == 201
    body = response.json()
    assert body["stored"] is False and body["is_repeat"] is None
    assert Report.objects.count() == 0
    assert redis_conn.xlen(stream.STREAM) == 1

    assert mover.drain() == 1
    assert mover.drain() == 0
    report = Report.objects.get()
    assert str(report.intake_id) == body["id"]
    assert (report.service, report.problem.slug, report.region_id, report.source) == (
        whatsapp,
        "pictures",
        "IN",
        "api",
    )
    assert report.created_at.isoformat().replace("+00:00", "Z") == body["created_at"]
    assert redis_conn.xlen(stream.STREAM) == 0


def test_a_batch_stored_by_a_mover_that_died_before_acknowledging_is_stored_once(
    client, whatsapp, redis_conn, settings
):
    for i in range(3):
        post(client, address=f"198.51.100.{i}")
    stream.ensure_group(redis_conn)
    batch = redis_conn.xreadgroup(stream.GROUP, "dead-mover", {stream.STREAM: ">"}, count=10)[0][1]
    mover.store([stream.Entry.from_fields(fields) for _, fields in batch])  # ...then SIGKILL: no XACK
    settings.REPORT_STREAM_CLAIM_SECONDS = 0

    moved = mover.drain(consumer="another-mover")

    assert moved == 3
    assert Report.objects.count() == 3
    assert stream.backlog(redis_conn) == (0, 0)


def test_reports_read_by_a_mover_that_died_before_storing_are_claimed_and_stored(
    client, whatsapp, redis_conn, settings
):
    for i in range(5):
        post(client, address=f"198.51.100.{i}")
    stream.ensure_group(redis_conn)
    redis_conn.xreadgroup(stream.GROUP, "dead-mover", {stream.STREAM: ">"}, count=2)
    settings.REPORT_STREAM_CLAIM_SECONDS = 0

    mover.drain(consumer="another-mover")

    assert Report.objects.count() == 5
    assert Report.objects.values("intake_id").distinct().count() == 5
    assert stream.backlog(redis_conn) == (0, 0)


def test_unclaimed_reports_of_a_live_mover_are_left_to_it(client, whatsapp, redis_conn, settings):
    post(client)
    stream.ensure_group(redis_conn)
    redis_conn.xreadgroup(stream.GROUP, "busy-mover", {stream.STREAM: ">"}, count=10)
    settings.REPORT_STREAM_CLAIM_SECONDS = 30

    assert mover.drain(consumer="another-mover") == 0
    assert stream.backlog(redis_conn) == (0, 1)


def test_repeats_are_marked_by_the_mover_within_a_batch_and_across_batches(client, whatsapp, redis_conn):
    with time_machine.travel(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), tick=False) as clock:
        post(client)
        clock.shift(timedelta(minutes=5))
        post(client, {**GOOD, "problem": "messages"})
        post(client, agent="Safari/18")  # another reporter
        mover.drain()
        clock.shift(timedelta(minutes=9))
        post(client)  # 14 minutes after the first: a repeat
        clock.shift(timedelta(minutes=16))
        post(client)  # 16 minutes after the last: counts again
        mover.drain()

    flags = list(Report.objects.order_by("created_at", "fingerprint").values_list("is_repeat", flat=True))
    assert sorted(flags[1:3]) == [False, True]
    assert [flags[0], flags[3], flags[4]] == [False, True, False]
    assert Report.objects.distinct_reporters().count() == 3


def test_the_rate_limit_holds_on_the_stream_path(client, whatsapp, redis_conn, settings):
    settings.REPORT_RATE_LIMIT = (3, 60)

    answers = [post(client) for _ in range(5)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert redis_conn.xlen(stream.STREAM) == 3


def test_bad_input_counts_towards_the_limit_and_is_never_queued(client, whatsapp, redis_conn, settings):
    settings.REPORT_RATE_LIMIT = (2, 60)

    answers = [post(client, {**GOOD, "region": "XX"}).status_code for _ in range(2)] + [
        post(client).status_code
    ]

    assert answers == [400, 400, 429]
    assert redis_conn.xlen(stream.STREAM) == 0


def test_it_commits_directly_when_redis_does_not_answer(client, whatsapp, redis_conn, settings):
    # A real client pointed at a port where nothing listens.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    stream.reset()

    first, second = post(client), post(client, address="198.51.100.99")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["stored"] is True and first.json()["is_repeat"] is False
    assert sorted(str(k) for k in Report.objects.values_list("intake_id", flat=True)) == sorted(
        [first.json()["id"], second.json()["id"]]
    )


def test_the_form_goes_through_the_stream_too(client, whatsapp, redis_conn):
    response = client.post("/status/whatsapp/report/", {"problem": "pictures", "region": "IN"})

    assert response.status_code == 302
    assert Report.objects.count() == 0
    mover.drain()
    assert Report.objects.get().source == "web"


def test_an_entry_that_can_never_be_stored_is_set_aside_and_does_not_block_the_rest(
    client, whatsapp, redis_conn
):
    post(client)
    ghost = stream.Entry(uuid.uuid4(), 999_999, 1, "US", "", "api", "f" * 32, timezone.now())
    stream.append(ghost)
    post(client, address="198.51.100.77")

    mover.drain()

    assert Report.objects.count() == 2
    dead = redis_conn.xrange(stream.DEAD_LETTERS)
    assert len(dead) == 1
    assert stream.Entry.from_fields(dead[0][1]) == ghost
    assert b"unknown service" in dead[0][1][b"why"]
    assert stream.backlog(redis_conn) == (0, 0)


def test_an_entry_that_is_not_a_report_is_set_aside(client, whatsapp, redis_conn):
    redis_conn.xadd(stream.STREAM, {"v": "[1, 2]"})
    post(client)

    mover.drain()

    assert Report.objects.count() == 1
    assert b"not a report" in redis_conn.xrange(stream.DEAD_LETTERS)[0][1][b"why"]


def test_the_mover_tells_the_oldest_time_it_stored(client, whatsapp, redis_conn):
    told = []

    def receiver(sender, oldest, **kwargs):
        told.append(oldest)

    first = datetime(2026, 3, 5, 12, 0, 30, tzinfo=UTC)
    for offset, address in enumerate(["198.51.100.5", "198.51.100.6"]):
        with time_machine.travel(first + timedelta(minutes=offset), tick=False):
            post(client, address=address)
    reports_stored.connect(receiver)
    try:
        mover.drain()
    finally:
        reports_stored.disconnect(receiver)

    assert told == [first]


def test_the_command_and_the_beat_task_drain_the_stream(client, whatsapp, redis_conn):
    post(client)
    out = StringIO()
    call_command("move_reports", "--once", stdout=out)
    post(client, address="198.51.100.5")

    assert "moved 1 reports" in out.getvalue()
    assert move_reports.apply().get() == 1
    assert Report.objects.count() == 2
