"""A detection pass fans out over every worker (docker-compose's `--scale worker=N`):
its series go to Celery in chunks, and two real `celery worker` processes on the
test PostgreSQL and Redis share them."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from reports.models import Region
from spikes import pipeline, tasks
from spikes.models import Series
from spikes.tests.processes import needs_postgres_and_redis, wait_until, workers  # noqa: F401

pytestmark = pytest.mark.faults

CHUNKS = 24


def chunks_done(worker) -> int:
    return len(re.findall(r"spikes\.tasks\.detect_chunk\[[^\]]+\] succeeded", worker.log.read_text()))


@needs_postgres_and_redis
@pytest.mark.django_db(transaction=True)  # committed for real: the workers are other processes
def test_a_detection_pass_spreads_its_chunks_over_every_worker(whatsapp, workers, monkeypatch):  # noqa: F811
    now = timezone.now()
    regions = Region.objects.order_by("code").values_list("code", flat=True)[:CHUNKS]
    Series.objects.bulk_create(Series(service=whatsapp, region=code, last_report_at=now) for code in regions)
    # One series per chunk (500 in production), so that a handful of series make many tasks.
    monkeypatch.setattr(pipeline, "CHUNK_SIZE", 1)
    started = [workers(name) for name in ("first", "second")]
    for worker in started:
        wait_until(lambda w=worker: " ready." in w.log.read_text(), lambda w=worker: w.output())

    summary = tasks.detection_pass.apply().get()  # the pass here, its chunks to the workers

    assert summary["chunks"] == CHUNKS
    wait_until(
        lambda: sum(chunks_done(w) for w in started) == CHUNKS,
        lambda: "every chunk to be detected:\n" + "\n".join(w.output() for w in started),
    )
    done = [chunks_done(w) for w in started]
    assert all(n >= 1 for n in done), done
    assert Series.objects.filter(detected_until__isnull=False).count() == CHUNKS
