"""`manage.py move_reports`, the real process, idle: its reads block quietly (no
socket timeouts, no backing off), the next report is stored within a second, and
SIGTERM stops it at once.

Locally it idles a few seconds (already several idle reads, and old backoffs of
4 s and more); in CI (CI set) a full minute, past Redis' 30 s health check too.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from reports import stream
from reports.models import Report
from reports.tests.stack import shared_database_url

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL (CI sets it)"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
IDLE_SECONDS = 61 if os.environ.get("CI") else 6


@pytest.mark.django_db(transaction=True)
def test_an_idle_mover_stays_quiet_stores_the_next_report_within_a_second_and_stops_at_once(
    whatsapp, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the mover process needs the PostgreSQL test database")
    settings.REPORT_STREAM = True
    stream.reset()
    stream.client().delete(stream.STREAM, stream.DEAD_LETTERS)
    log = (tmp_path / "mover.log").open("w+")
    env = {**os.environ, "DATABASE_URL": shared_database_url(), "REPORT_STREAM": "1", "LOG_LEVEL": "INFO"}
    mover = subprocess.Popen(
        [sys.executable, "manage.py", "move_reports"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        time.sleep(IDLE_SECONDS)
        entry = stream.Entry(
            intake_id=uuid.uuid4(),
            service_id=whatsapp.pk,
            problem_id=whatsapp.ordered_problem_types()[0].pk,
            region="US",
            comment="",
            source="api",
            fingerprint="f" * 32,
            created_at=timezone.now(),
        )
        stream.append(entry)
        appended = time.monotonic()
        while (
            not Report.objects.filter(intake_id=entry.intake_id).exists() and time.monotonic() - appended < 10
        ):
            time.sleep(0.02)
        stored_after = time.monotonic() - appended

        mover.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        mover.wait(timeout=15)
        stopped_after = time.monotonic() - stopping
    finally:
        if mover.poll() is None:
            mover.kill()
        stream.client().delete(stream.STREAM, stream.DEAD_LETTERS)
        stream.reset()
    log.seek(0)
    output = log.read()

    assert "moving reports as" in output
    assert "Timeout" not in output and "trying again" not in output, output
    assert stored_after < 1.0, f"stored {stored_after:.2f} s after it was appended"
    # One read's block (REPORT_STREAM_BLOCK_MS, 1 s) and the interpreter's exit, which
    # took up to 3.4 s on a loaded CI machine; the old loop slept up to 10 s first.
    assert mover.returncode == 0 and stopped_after < 6.0, f"SIGTERM took {stopped_after:.1f} s"
