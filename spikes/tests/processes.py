"""Real processes for tests: a `celery worker` on the test PostgreSQL and Redis,
and a bounded wait for what it does. A pytest plugin (the root conftest loads it),
so the `workers` fixture is there for every app's tests without an import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from outagewatch.tests.support import database_url

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


def wait_until(
    condition: Callable[[], object], what: str | Callable[[], str], timeout: float = WAIT_SECONDS
) -> object:
    """Poll `condition` until it is true, at most `timeout` seconds; `what` (or what it
    returns, read only on failure) says what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up after {timeout} s waiting for {what() if callable(what) else what}")


# --- a worker killed with SIGKILL during a pass --------------------------------------

needs_postgres_and_redis = pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
    reason="a subprocess worker needs the test PostgreSQL and the real Redis (CI sets both)",
)


class Worker:
    """A real `celery worker` process on the test database and Redis."""

    def __init__(self, name: str, tmp_path: Path, pool: str = "solo", **extra_env: str) -> None:
        self.log = tmp_path / f"{name}.log"
        env = os.environ | {
            "DATABASE_URL": database_url(),
            "DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        env.update(extra_env)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "outagewatch", "worker", f"--pool={pool}", "--concurrency=1",
                 "-n", f"{name}@faults", "-l", "info", "--without-gossip", "--without-mingle",
                 "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def children(self) -> list[int]:
        """The processes the worker runs tasks in (prefork pool)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text()[-3000:]


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(name: str, pool: str = "solo", **extra_env: str) -> Worker:
        worker = Worker(name, tmp_path, pool, **extra_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
