"""Real processes for the fault tests: a PostgreSQL, a Redis, the web server and the mover
of their own, on free ports under one folder, each stopped and started at will
without touching the servers the rest of the suite uses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from glob import glob
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path | None:
    initdb = shutil.which("initdb") or next(iter(sorted(glob("/usr/lib/postgresql/*/bin/initdb"))[-1:]), None)
    return Path(os.path.realpath(initdb)).parent if initdb else None


def missing_binaries() -> list[str]:
    missing = [] if pg_bin() else ["initdb/pg_ctl (PostgreSQL)"]
    return missing + [name for name in ("redis-server", "redis-cli") if not shutil.which(name)]


def need_binaries(what: str) -> None:
    """Skip `what` without the PostgreSQL and Redis binaries; in CI (CI set), fail."""
    missing = missing_binaries()
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must run {what}, but these are missing: {', '.join(missing)}")
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


def wait_until(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Postgres:
    """fsync off unless `durable` (the load benchmark): a test database need not
    survive a power cut."""

    def __init__(self, folder: Path, durable: bool = False):
        self.folder, self.port, self.bin, self.durable = folder, free_port(), pg_bin(), durable
        self.data = folder / "pg"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/outagewatch"

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.getuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self.sql("CREATE DATABASE outagewatch", db="postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        self._run(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "pg.log", "-w", "-o", options, "start"
        )

    def stop(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def sql(self, query: str, db: str = "outagewatch") -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=db, connect_timeout=5
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(query)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def intake_ids(self) -> list[str]:
        return [row[0] for row in self.sql("SELECT intake_id::text FROM reports_report")]


class Redis:
    """With its append-only file, as in docker-compose: the stream survives a restart.
    `appendfsync` everysec (docker-compose's) or always (fsync before answering).
    With `replica_of` (a port on 127.0.0.1), a replica of the Redis there (its own
    folder, AOF too)."""

    def __init__(self, folder: Path, appendfsync: str = "everysec", replica_of: int | None = None):
        self.folder, self.port, self.appendfsync = folder, free_port(), appendfsync
        self.replica_of = replica_of
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        replication = ["--replicaof", "127.0.0.1", str(self.replica_of)] if self.replica_of else []
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--dir",
                str(self.folder),
                "--pidfile",
                str(self.folder / "redis.pid"),
                "--logfile",
                str(self.folder / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                self.appendfsync,
                *replication,
            ],
            check=True,
            timeout=30,
        )
        wait_until(self.ping, 10, "Redis to start")

    def pid(self) -> int:
        return int((self.folder / "redis.pid").read_text())

    def kill(self) -> None:
        """SIGKILL: the process dies without a word (what the OS had written stays)."""
        os.kill(self.pid(), signal.SIGKILL)
        wait_until(lambda: not self.ping(), 10, "Redis to die")
        (self.folder / "redis.pid").unlink(missing_ok=True)

    def freeze(self) -> None:
        """SIGSTOP: alive but silent, as a replica on a stalled network."""
        os.kill(self.pid(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.pid(), signal.SIGCONT)

    def promote(self) -> None:
        """A replica becomes a primary (what Sentinel or an operator does at failover)."""
        assert self.cli("REPLICAOF", "NO", "ONE") == "OK"

    def ping(self) -> bool:
        return (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            ).stdout.strip()
            == "PONG"
        )

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, timeout=30)
        wait_until(lambda: not self.ping(), 10, "Redis to stop")

    def cli(self, *args: str) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10
        ).stdout.strip()


class App:
    """The web server (one process, so its warm caches are the ones every request meets)
    and, optionally, `manage.py move_reports`, against the given servers."""

    def __init__(self, folder: Path, postgres: Postgres, redis: Redis, **env: str):
        self.folder, self.port = folder, free_port()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "DATA_DIR": str(folder / "data"),
            "REPORT_RATE_LIMIT": "100000/m",
            "REPORT_STREAM_RETRY_SECONDS": "1",
            "REPORT_STREAM_CLAIM_SECONDS": "5",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.url = f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> None:
        subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=self.env, check=True, timeout=120)

    def _spawn(self, name: str, command: list, **env: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("a")
        process = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def start_web(self) -> None:
        """The web server docker-compose runs (granian), with one process; WEB_SERVER=gunicorn
        runs gunicorn (gunicorn.conf.py) instead."""
        if os.environ.get("WEB_SERVER", "granian") == "granian":
            command = [BIN / "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                       "--workers", "1", "--blocking-threads", "2", "outagewatch.wsgi:application"]  # fmt: skip
        else:
            command = [BIN / "gunicorn", "outagewatch.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                       "--workers", "1"]  # fmt: skip
        self._spawn("web", command)
        wait_until(lambda: self._answers(), 30, "the web server to start")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.url + "/healthz", timeout=2)
        except urllib.error.HTTPError:
            return True  # 503 from the app is an answer too
        except OSError:
            return False
        return True

    def start_mover(self, name: str = "mover", **env: str) -> subprocess.Popen:
        return self._spawn(name, [BIN / "python", "manage.py", "move_reports"], **env)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def post_report(self, n: int = 0, **fields: str) -> tuple[int, Message, dict]:
        """POST one report; a user agent of its own per n makes each a distinct
        reporter. Returns status, headers (case-insensitive: granian sends them in lower
        case) and the JSON body."""
        body = {"service": "whatsapp", "problem": "messages", "region": "US", **fields}
        request = urllib.request.Request(
            self.url + "/api/v1/reports/",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"fault-test/{n}"},
        )
        return self._send(request)

    def form_token(self, slug: str = "whatsapp") -> str:
        """The CSRF cookie and token of the service page (needs the database)."""
        with urllib.request.urlopen(f"{self.url}/status/{slug}/", timeout=15) as response:
            cookie = response.headers["Set-Cookie"].split(";", 1)[0]
            html = response.read().decode()
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        return f"{cookie}|{token}"

    def post_form(self, token: str, slug: str = "whatsapp") -> tuple[int, Message, str]:
        cookie, csrf = token.split("|")
        request = urllib.request.Request(
            f"{self.url}/status/{slug}/report/",
            data=f"problem=messages&region=US&csrfmiddlewaretoken={csrf}".encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        return self._send(request, as_json=False)

    @staticmethod
    def _send(request: urllib.request.Request, as_json: bool = True):
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=15) as response:
                status, headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, error.headers, error.read()
        text = raw.decode(errors="replace")
        if as_json:
            try:
                return status, headers, json.loads(text)
            except ValueError:
                return status, headers, {"raw": text[:500]}
        return status, headers, text


def shared_database_url() -> str:
    """The URL of the database this test process uses (the test database), for a
    process of its own (gunicorn, the mover) to use the same rows."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class WebServer:
    """A web server of its own on a free port, on the test database: gunicorn with
    one worker (as in production) or Django's development server (`dev.py run`)."""

    def __init__(self, folder: Path, server: str = "gunicorn", **env: str):
        self.port, self.folder = free_port(), folder
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": shared_database_url(), "DATA_DIR": str(folder), **env}
        address = f"127.0.0.1:{self.port}"
        command = {
            "gunicorn": [
                BIN / "gunicorn",
                "outagewatch.wsgi:application",
                "--bind",
                address,
                "--workers",
                "1",
            ],
            "runserver": [BIN / "python", "manage.py", "runserver", "--noreload", address],
        }[server]
        self.log = (folder / f"{server}.log").open("w")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._listening, 30, f"{server} to start")

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
