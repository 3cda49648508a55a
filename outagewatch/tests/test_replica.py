"""Read replicas against a real PostgreSQL streaming replica: the one that
`scripts/test-services start-replica` makes of the tests' own PostgreSQL
(pg_basebackup, standby.signal, primary_conninfo). gunicorn runs with
DATABASE_REPLICA_URL on a database of these tests' own; the replica's WAL replay is
paused to tell its answers from the primary's, and the replica is stopped and
started again while pages are being served.

Locally they skip without TEST_DATABASE_REPLICA_URL; in CI (CI set) they fail instead.
"""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import psycopg2
import pytest

from outagewatch import dbrouter
from reports.tests.stack import ROOT, App, wait_until

pytestmark = pytest.mark.faults


def _url_with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _sql(url: str, query: str, params=()) -> list[tuple]:
    parts = urllib.parse.urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        dbname=parts.path.lstrip("/"),
        connect_timeout=5,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


@dataclass
class Cluster:
    primary: str  # URLs of this module's database on the primary and on the replica
    replica: str
    redis: str
    folder: Path
    services: str  # the test services' folder (for stop-replica / start-replica)

    def app(self, **env: str) -> App:
        app = App(
            self.folder,
            SimpleNamespace(url=self.primary),
            SimpleNamespace(url=self.redis),
            DATABASE_REPLICA_URL=self.replica,
            DATABASE_REPLICA_CHECK_SECONDS="1",
            REPORT_STREAM="0",
            PARTNER_API_ANON_RATE="10000/m",
            **env,
        )
        (self.folder / "web.log").unlink(missing_ok=True)
        return app

    def rename(self, slug: str, name: str) -> None:
        _sql(self.primary, "UPDATE reports_service SET name = %s WHERE slug = %s", [name, slug])

    @contextmanager
    def replay_paused(self):
        """The replica stops applying the primary's changes: what it answers is old."""
        _sql(self.replica, "SELECT pg_wal_replay_pause()")
        wait_until(
            lambda: _sql(self.replica, "SELECT pg_get_wal_replay_pause_state()")[0][0] == "paused",
            10,
            "the replica's replay to pause",
        )
        try:
            yield
        finally:
            _sql(self.replica, "SELECT pg_wal_replay_resume()")

    def caught_up(self) -> bool:
        lsn = _sql(self.primary, "SELECT pg_current_wal_insert_lsn()::text")[0][0]
        return _sql(self.replica, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])[0][0]

    def replica_server(self, action: str) -> None:
        subprocess.run(
            [str(ROOT / "scripts" / "test-services"), f"{action}-replica", self.services],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def log(self) -> str:
        return (self.folder / "web.log").read_text()


@pytest.fixture(scope="module")
def cluster():
    replica_url = os.environ.get("TEST_DATABASE_REPLICA_URL")
    primary_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not (replica_url and primary_url.startswith("postgres") and redis_url):
        if os.environ.get("CI"):
            pytest.fail("CI must run the replica tests: run `scripts/test-services start-replica DIR`.")
        pytest.skip("needs TEST_DATABASE_REPLICA_URL (scripts/test-services start-replica DIR)")
    name = f"ow_replica_{os.getpid()}"
    server = _url_with_database(primary_url, "postgres")
    _sql(server, f"DROP DATABASE IF EXISTS {name}")
    _sql(server, f"CREATE DATABASE {name}")
    folder = Path(tempfile.mkdtemp(prefix="ow-replica-"))
    cluster = Cluster(
        primary=_url_with_database(primary_url, name),
        replica=_url_with_database(replica_url, name),
        # A Redis database of its own: the rest of the suite empties database 0.
        redis=_url_with_database(redis_url, "7"),
        folder=folder,
        services=os.environ["TEST_SERVICES_DIR"],
    )
    setup = App(folder, SimpleNamespace(url=cluster.primary), SimpleNamespace(url=cluster.redis))
    setup.manage("migrate", "-v0")
    setup.manage("load_catalog")
    wait_until(cluster.caught_up, 30, "the replica to replay the migrations")
    try:
        yield cluster
    finally:
        cluster.replica_server("start")  # in case a test left it stopped
        _sql(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def start(cluster):
    apps: list[App] = []

    def start(**env: str) -> App:
        app = cluster.app(**env)
        apps.append(app)
        app.start_web()
        return app

    yield start
    for app in apps:
        app.stop()
    cluster.rename("whatsapp", "WhatsApp")
    wait_until(cluster.caught_up, 30, "the replica to catch up again")


class Reader:
    """A browser: keeps cookies, does not follow redirects."""

    def __init__(self, base: str):
        self.base, self.jar = base, http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        return self._open(request)

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == "csrftoken")

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def title_name(page: str) -> str:
    return page.split("<h1>Is ", 1)[1].split(" down right now?", 1)[0]


def test_the_site_and_the_api_read_from_the_replica_while_it_keeps_up(cluster, start):
    app = start(DATABASE_REPLICA_MAX_LAG_SECONDS="600")
    reader = Reader(app.url)
    assert title_name(reader.get("/status/whatsapp/")[1]) == "WhatsApp"

    with cluster.replay_paused():
        cluster.rename("whatsapp", "WhatsApp (renamed on the primary)")
        page = reader.get("/status/whatsapp/")
        api = reader.get("/api/v1/services/whatsapp/")

        # The replica has not replayed the rename, and is within its bound: its answer.
        assert page[0] == 200 and title_name(page[1]) == "WhatsApp"
        assert api[0] == 200 and '"name":"WhatsApp"' in api[1].replace(" ", "")

    wait_until(cluster.caught_up, 30, "the replica to replay the rename")
    assert title_name(reader.get("/status/whatsapp/")[1]) == "WhatsApp (renamed on the primary)"


def test_a_replica_lagging_beyond_the_bound_is_left_for_the_primary(cluster, start):
    app = start(DATABASE_REPLICA_MAX_LAG_SECONDS="2")
    reader = Reader(app.url)
    reader.get("/status/whatsapp/")

    with cluster.replay_paused():
        cluster.rename("whatsapp", "WhatsApp (fresh)")
        # Within at most the bound plus one check, the page shows the primary's name
        # though the replica still has not replayed it.
        fresh = wait_until(
            lambda: title_name(reader.get("/status/whatsapp/")[1]) == "WhatsApp (fresh)",
            8,
            "the site to leave the lagging replica",
        )
        assert fresh
        assert _sql(cluster.replica, "SELECT name FROM reports_service WHERE slug = 'whatsapp'") == [
            ("WhatsApp",)
        ]

    assert "read replica unavailable (it lags" in cluster.log()


def test_a_readers_own_report_shows_on_the_page_the_form_redirects_to(cluster, start):
    app = start(DATABASE_REPLICA_MAX_LAG_SECONDS="600")
    writer, other = Reader(app.url), Reader(app.url)
    writer.get("/status/whatsapp/")
    other.get("/status/whatsapp/")
    comment = "pictures stuck at the grey square"

    with cluster.replay_paused():
        status, _ = writer.post(
            "/status/whatsapp/report/",
            {"problem": "messages", "region": "US", "comment": comment, "csrfmiddlewaretoken": writer.csrf()},
        )
        assert status == 302
        assert any(c.name == dbrouter.PIN_COOKIE for c in writer.jar)

        # The writer's next pages come from the primary, which has the report...
        assert comment in writer.get("/status/whatsapp/")[1]
        # ...while a reader who wrote nothing still reads the (paused) replica.
        assert comment not in other.get("/status/whatsapp/")[1]

    wait_until(lambda: comment in other.get("/status/whatsapp/")[1], 30, "the replica to replay the report")


def test_the_replica_going_away_mid_traffic_never_gives_a_500_and_is_logged_once(cluster, start):
    app = start(DATABASE_REPLICA_MAX_LAG_SECONDS="600", WEB_CONCURRENCY="1")
    statuses: list[tuple[float, str, int]] = []
    stop = threading.Event()

    def browse() -> None:
        reader = Reader(app.url)
        while not stop.is_set():
            for path in ("/status/whatsapp/", "/api/v1/services/", "/outages/"):
                statuses.append((time.monotonic(), path, reader.get(path)[0]))

    browser = threading.Thread(target=browse)
    browser.start()
    try:
        time.sleep(1.5)
        stopped_at = time.monotonic()
        cluster.replica_server("stop")  # immediate: its connections die mid-query
        time.sleep(3)
        cluster.replica_server("start")
        wait_until(
            lambda: "read replica available again" in cluster.log(), 20, "the site to use the replica again"
        )
        time.sleep(1)
    finally:
        stop.set()
        browser.join(timeout=30)

    during = [s for at, _, s in statuses if at >= stopped_at]
    assert len(during) > 10
    log = cluster.log()
    assert {s for _, _, s in statuses} == {200}, (
        [(p, s) for _, p, s in statuses if s != 200][:5],
        log[-4000:],
    )
    assert log.count("read replica unavailable") == 1
    assert log.count("read replica available again") == 1
