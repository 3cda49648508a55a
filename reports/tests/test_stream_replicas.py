"""REPORT_STREAM_MIN_REPLICAS in-process, against the real Redis of REDIS_URL (which
has no replica): a report the replicas cannot confirm is committed directly, once.
The failover itself, with a real replica, is in test_redis_replaced.py."""

import json
import os

import pytest

from reports import mover, stream
from reports.models import Report

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)"
    ),
]

GOOD = {"service": "whatsapp", "problem": "pictures", "region": "IN"}


@pytest.fixture
def waiting_for_a_replica(settings):
    settings.REPORT_STREAM = True
    settings.REPORT_STREAM_MIN_REPLICAS = 1
    settings.REPORT_STREAM_REPLICA_WAIT_MS = 20
    stream.reset()
    conn = stream.client()
    conn.delete(stream.STREAM)
    yield conn
    conn.delete(stream.STREAM)
    stream.reset()


def post(client, address="198.51.100.20"):
    return client.post(
        "/api/v1/reports/", json.dumps(GOOD), content_type="application/json", REMOTE_ADDR=address
    )


def test_a_report_no_replica_confirms_is_committed_directly_and_stored_once(
    client, whatsapp, waiting_for_a_replica
):
    response = post(client)

    assert response.status_code == 201
    assert response.json()["stored"] is True
    # The primary took it too; the mover finds it already stored.
    assert waiting_for_a_replica.xlen(stream.STREAM) == 1
    assert mover.drain() == 1
    assert Report.objects.filter(intake_id=response.json()["id"]).count() == 1


def test_after_an_unconfirmed_report_the_next_ones_skip_redis_for_a_while(
    client, whatsapp, waiting_for_a_replica
):
    first, second = post(client, "198.51.100.21"), post(client, "198.51.100.22")

    assert [first.status_code, second.status_code] == [201, 201]
    assert second.json()["stored"] is True
    assert waiting_for_a_replica.xlen(stream.STREAM) == 1  # only the first tried the stream


def test_an_append_without_the_rate_limit_also_waits_for_the_replicas(whatsapp, waiting_for_a_replica):
    entry = stream.Entry.from_fields(
        {b"v": json.dumps(["0" * 32, whatsapp.pk, 1, "IN", "", "api", "fp", 1_700_000_000_000_000]).encode()}
    )

    with pytest.raises(stream.StreamUnavailable, match="0 of 1 Redis replicas confirmed"):
        stream.append(entry)
