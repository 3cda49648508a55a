"""The intake when its servers fail: real PostgreSQL, Redis, gunicorn and mover
processes of these tests' own (reports/tests/stack.py), stopped and started again.

    python3 dev.py test -m faults

Locally they skip when the PostgreSQL or Redis binaries are missing; in CI (CI set)
they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from reports.tests.stack import App, Postgres, Redis, missing_binaries, wait_until

pytestmark = pytest.mark.faults

CATCH_UP_SECONDS = 30  # the mover's pause grows to 10 s while the database is down


@pytest.fixture(scope="module")
def servers():
    missing = missing_binaries()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the fault tests, but these are missing: {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)}")
    folder = Path(tempfile.mkdtemp(prefix="ow-faults-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user, below this folder
    postgres, redis = Postgres(folder / "servers"), Redis(folder / "servers")
    postgres.init()
    redis.start()
    setup = App(folder, postgres, redis)
    setup.manage("migrate", "-v0")
    setup.manage("load_catalog")
    try:
        yield folder, postgres, redis
    finally:
        for stop in (postgres.stop, redis.stop):
            with contextlib.suppress(Exception):  # already stopped by a failed test
                stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def make_app(servers):
    folder, postgres, redis = servers
    apps: list[App] = []

    def make(**env: str) -> App:
        app = App(folder, postgres, redis, **env)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()
    # Whatever a test stopped comes back for the next one.
    if not redis.ping():
        redis.start()
    try:
        postgres.sql("SELECT 1")
    except Exception:  # noqa: BLE001 - it was stopped
        postgres.start()
    redis.cli("DEL", "reports:intake", "reports:intake:dead")


def test_with_postgres_down_the_direct_intake_answers_503_and_recovers_by_itself(servers, make_app):
    _, postgres, _ = servers
    app = make_app(REPORT_STREAM="0")
    app.start_web()
    status, _, first = app.post_report(1)
    assert status == 201 and first["stored"] is True
    token = app.form_token()
    before = set(postgres.intake_ids())

    postgres.stop()
    api = [app.post_report(n) for n in range(2, 5)]
    form_status, form_headers, form_page = app.post_form(token)
    postgres.start()
    after_restart = [app.post_report(n) for n in range(5, 8)]

    assert [s for s, _, _ in api] == [503, 503, 503]
    for _, headers, body in api:
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert "nothing was stored" in body["detail"] and body["errors"] == {}
    assert form_status == 503 and "Retry-After" in form_headers
    assert "not</strong> recorded" in form_page
    # It recovers by itself: the first reports after the restart are accepted.
    assert [s for s, _, _ in after_restart] == [201, 201, 201]
    stored = set(postgres.intake_ids()) - before
    assert stored == {body["id"] for _, _, body in after_restart}


def test_with_postgres_down_the_stream_keeps_accepting_and_the_reports_arrive_when_it_is_back(
    servers, make_app
):
    _, postgres, _ = servers
    app = make_app(REPORT_STREAM="1")
    app.start_web()
    app.start_mover()
    status, _, warm = app.post_report(1)  # reads the catalog and the day's key while it can
    assert status == 201
    wait_until(lambda: warm["id"] in postgres.intake_ids(), 15, "the first report to be stored")

    postgres.stop()
    during = [app.post_report(n) for n in range(2, 22)]
    postgres.start()

    assert [s for s, _, _ in during] == [201] * 20
    accepted = {body["id"] for _, _, body in during}
    wait_until(lambda: accepted <= set(postgres.intake_ids()), CATCH_UP_SECONDS, "the queued reports")
    ids = postgres.intake_ids()
    assert len(ids) == len(set(ids))  # none stored twice


def test_with_redis_stopped_reports_are_committed_directly_and_the_stream_resumes_when_it_returns(
    servers, make_app
):
    _, postgres, redis = servers
    app = make_app(REPORT_STREAM="1")
    app.start_web()
    app.start_mover()
    assert app.post_report(1)[0] == 201

    redis.stop()
    during = [app.post_report(n) for n in range(2, 6)]
    stored_while_down = set(postgres.intake_ids())
    redis.start()
    # After REPORT_STREAM_RETRY_SECONDS (1 s here) the intake tries Redis again.
    after = wait_until(
        lambda: (r := app.post_report(99)) and r[2].get("stored") is False and r,
        10,
        "the stream to be used again",
    )

    assert [(s, body["stored"]) for s, _, body in during] == [(201, True)] * 4
    assert {body["id"] for _, _, body in during} <= stored_while_down
    # The mover rode out the outage and moves what the stream takes now.
    wait_until(lambda: after[2]["id"] in postgres.intake_ids(), 20, "the mover to store a new report")


def test_a_mover_killed_mid_drain_loses_and_doubles_nothing(servers, make_app):
    _, postgres, redis = servers
    app = make_app(REPORT_STREAM="1")
    app.start_web()
    accepted = {app.post_report(n)[2]["id"] for n in range(300)}
    before = len(postgres.intake_ids())

    app.start_mover("doomed", REPORT_STREAM_BATCH="20")
    wait_until(lambda: len(postgres.intake_ids()) > before, 20, "the mover to start storing")
    app.kill("doomed")  # SIGKILL: no chance to acknowledge what it was holding
    app.start_mover("heir", REPORT_STREAM_BATCH="20")

    wait_until(lambda: accepted <= set(postgres.intake_ids()), CATCH_UP_SECONDS, "every report to be stored")
    wait_until(lambda: redis.cli("XLEN", "reports:intake") == "0", 15, "the stream to empty")
    ids = postgres.intake_ids()
    assert len(ids) == len(set(ids))
