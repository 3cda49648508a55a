"""What becomes of accepted reports when the Redis under the stream is replaced:
restarted from its append-only file, killed outright, or failed over to a replica.
Real processes (reports/tests/stack.py): a PostgreSQL, Redis servers, gunicorn and
the mover of these tests' own. Every 201 is counted, and afterwards every one of
them must be stored in PostgreSQL exactly once.

Locally they skip when the PostgreSQL or Redis binaries are missing; in CI (CI set)
they fail instead.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reports.tests.stack import App, Postgres, Redis, need_binaries, wait_until

pytestmark = pytest.mark.faults

CATCH_UP_SECONDS = 30


@dataclass
class Ledger:
    """Every answer the intake gave, by the report's id."""

    accepted: dict[str, bool] = field(default_factory=dict)  # id -> stored at once (direct commit)
    refused: list[int] = field(default_factory=list)

    def post(self, app: App, n: int) -> None:
        for _ in range(n):
            status, _, body = app.post_report(len(self.accepted) + len(self.refused))
            if status == 201:
                self.accepted[body["id"]] = body["stored"]
            else:
                self.refused.append(status)

    def post_until_streamed(self, app: App) -> None:
        """Post until a report goes to the stream again (the intake retries Redis
        REPORT_STREAM_RETRY_SECONDS after a failure: 1 s in these tests)."""

        def streamed() -> bool:
            self.post(app, 1)
            return list(self.accepted.values())[-1] is False

        wait_until(streamed, 10, "the intake to use the stream again")

    def queued(self) -> int:
        return sum(not stored for stored in self.accepted.values())

    def committed(self) -> int:
        return sum(self.accepted.values())


class Link:
    """The network between a Redis and its replica: a TCP relay the test can cut.
    (A stopped replica would still find the primary's last writes in its socket
    buffer; a cut network does not deliver them.)"""

    def __init__(self, to_port: int):
        self.to_port, self.cut = to_port, threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inbound, _ = self.listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(("127.0.0.1", self.to_port))
            self.sockets += [inbound, outbound]
            for src, dst in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
                if not data:
                    return
                if not self.cut.is_set():  # cut: what was sent is lost on the way
                    dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for each in [self.listener, *self.sockets]:
            with contextlib.suppress(OSError):
                each.close()


@pytest.fixture(scope="module")
def postgres():
    need_binaries("the Redis fault tests")
    folder = Path(tempfile.mkdtemp(prefix="ow-redis-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user, below this folder
    server = Postgres(folder / "servers")
    server.init()
    setup = App(folder, server, Redis(folder / "unused"))
    setup.manage("migrate", "-v0")
    setup.manage("load_catalog")
    try:
        yield folder, server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def stack(postgres):
    folder, server = postgres
    server.sql("TRUNCATE reports_report")
    run = folder / f"run-{len(list(folder.glob('run-*')))}"
    redis, apps, replicas, links = Redis(run / "redis"), [], [], []
    redis.start()

    def app(on: Redis, **env: str) -> App:
        made = App(run, server, on, REPORT_STREAM="1", **env)
        apps.append(made)
        made.start_web()
        return made

    def replica() -> tuple[Redis, Link]:
        link = Link(redis.port)
        made = Redis(run / f"redis-replica-{len(replicas)}", replica_of=link.port)
        replicas.append(made)
        links.append(link)
        made.start()
        wait_until(lambda: "master_link_status:up" in made.cli("INFO", "replication"), 10, "replication")
        return made, link

    try:
        yield SimpleStack(server, redis, app, replica)
    finally:
        for each in apps:
            each.stop()
        for link in links:
            link.close()
        for each in (*replicas, redis):
            with contextlib.suppress(Exception):
                each.stop()


@dataclass
class SimpleStack:
    postgres: Postgres
    redis: Redis
    app: Callable[..., App]
    replica: Callable[[], tuple[Redis, Link]]

    def stored_once(self, ledger: Ledger) -> None:
        """Wait for every accepted report to be stored; none twice."""
        wait_until(
            lambda: set(ledger.accepted) <= set(self.postgres.intake_ids()),
            CATCH_UP_SECONDS,
            "every accepted report to be stored",
        )
        ids = self.postgres.intake_ids()
        assert len(ids) == len(set(ids))

    def lost(self, ledger: Ledger) -> set[str]:
        return set(ledger.accepted) - set(self.postgres.intake_ids())


def test_a_redis_restarted_from_its_append_only_file_loses_no_accepted_report(stack):
    web = stack.app(stack.redis)
    ledger = Ledger()
    ledger.post(web, 40)  # no mover yet: all 40 wait in the stream

    stack.redis.stop()  # a clean stop (an upgrade, a container replaced on its volume)
    ledger.post(web, 10)  # meanwhile: committed directly
    stack.redis.start()
    wait_until(
        lambda: stack.redis.cli("XLEN", "reports:intake") == "40", 10, "the stream read back from disk"
    )
    ledger.post_until_streamed(web)
    web.start_mover()

    stack.stored_once(ledger)
    assert ledger.refused == []
    assert ledger.queued() >= 41 and ledger.committed() >= 10


def test_a_redis_killed_outright_loses_no_accepted_report(stack):
    """appendfsync everysec writes the AOF before answering; a fsync a second: what a
    killed process wrote is the kernel's and stays (a power cut could lose that second)."""
    web = stack.app(stack.redis)
    ledger = Ledger()
    ledger.post(web, 40)

    stack.redis.kill()
    ledger.post(web, 10)
    stack.redis.start()
    web.start_mover()

    stack.stored_once(ledger)
    assert ledger.refused == []
    assert ledger.queued() == 40 and ledger.committed() == 10


def fail_over(stack: SimpleStack, web: App, ledger: Ledger) -> App:
    """The primary dies while the network to its replica is cut; the replica is
    promoted and the stack pointed at it (what Sentinel, or an operator changing
    REDIS_URL, does)."""
    replica, link = stack.replica()
    ledger.post(web, 20)
    wait_until(lambda: replica.cli("XLEN", "reports:intake") == "20", 10, "the replica to copy them")
    link.cut.set()  # the replica stops getting the primary's writes...
    ledger.post(web, 10)  # ...so these are on the primary alone, or committed directly
    stack.redis.kill()
    link.close()
    replica.promote()
    web.stop()
    moved = stack.app(replica, **web_env(web))
    ledger.post(moved, 10)
    moved.start_mover()
    return moved


def web_env(app: App) -> dict[str, str]:
    return {
        k: app.env[k] for k in ("REPORT_STREAM_MIN_REPLICAS", "REPORT_STREAM_REPLICA_WAIT_MS") if k in app.env
    }


def test_a_failover_loses_no_accepted_report_when_the_intake_waits_for_a_replica(stack):
    web = stack.app(stack.redis, REPORT_STREAM_MIN_REPLICAS="1", REPORT_STREAM_REPLICA_WAIT_MS="100")
    ledger = Ledger()

    fail_over(stack, web, ledger)

    stack.stored_once(ledger)
    assert ledger.refused == []
    # While the replica was silent, WAIT timed out and the reports were committed directly.
    assert ledger.committed() >= 10


def test_without_waiting_for_a_replica_a_failover_loses_what_the_replica_had_not_copied(stack):
    """The reason for REPORT_STREAM_MIN_REPLICAS: Redis replicates after answering."""
    web = stack.app(stack.redis)
    ledger = Ledger()

    fail_over(stack, web, ledger)

    wait_until(lambda: len(ledger.accepted) - len(stack.lost(ledger)) >= 30, CATCH_UP_SECONDS, "the mover")
    assert ledger.refused == []
    # Exactly the ten accepted while the replica was frozen are gone.
    assert len(stack.lost(ledger)) == 10
