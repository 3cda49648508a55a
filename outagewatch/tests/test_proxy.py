"""The repository's Caddyfile in front of two web nodes, for real: Caddy (Debian's
`caddy`), two granian servers (as docker-compose runs web) on 127.0.0.1 and 127.0.0.2,
and a tiny DNS server standing in for Docker's, which answers the service name `web`
with both addresses as Docker does for `docker-compose up --scale web=2`.

Locally they skip without the caddy binary; in CI (CI set) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reports.tests.stack import ROOT, free_port, wait_until

pytestmark = pytest.mark.faults

WEB_NODES = ("127.0.0.1", "127.0.0.2")


class DockerLikeDNS:
    """Answers A queries for one name with several addresses (AAAA: none)."""

    def __init__(self, name: str, addresses: tuple[str, ...]):
        self.name, self.addresses = name, addresses
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                query, client = self.socket.recvfrom(512)
            except OSError:
                return
            self.socket.sendto(self._answer(query), client)

    def _answer(self, query: bytes) -> bytes:
        labels, at = [], 12
        while query[at]:
            labels.append(query[at + 1 : at + 1 + query[at]].decode())
            at += 1 + query[at]
        qtype = struct.unpack("!H", query[at + 1 : at + 3])[0]
        question = query[12 : at + 5]
        records = self.addresses if qtype == 1 and ".".join(labels).rstrip(".") == self.name else ()
        header = query[:2] + struct.pack("!HHHHH", 0x8180, 1, len(records), 0, 0)
        answers = b"".join(
            struct.pack("!HHHIH", 0xC00C, 1, 1, 5, 4) + socket.inet_aton(address) for address in records
        )
        return header + question + answers

    def close(self) -> None:
        self.socket.close()


@dataclass
class Proxied:
    folder: Path
    https: str  # https://localhost:PORT
    http: str
    ca: Path
    nodes: dict[str, subprocess.Popen]

    def curl(self, url: str, *args: str) -> tuple[str, str, str]:
        """(HTTP version, status, headers) of one request, the certificate checked."""
        done = subprocess.run(
            ["curl", "-sS", "--cacert", str(self.ca), "-D", "-", "-o", "/dev/null",
             "-w", "%{http_version} %{http_code}", *args, url],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        headers, _, last = done.stdout.rpartition("\n")
        version, status = last.split()
        return version, status, headers.lower()

    def served_by(self, node: str) -> int:
        return (self.folder / f"web-{node}.log").read_text().count("GET /healthz 200")


def _spawn(folder: Path, name: str, command: list, env: dict) -> subprocess.Popen:
    log = (folder / f"{name}.log").open("a")
    # A session of its own: the test kills a node's master and workers together.
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture(scope="module")
def proxied() -> Iterator[Proxied]:
    missing = [b for b in ("caddy", "curl", "redis-server") if not shutil.which(b)]
    if missing or not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the proxy tests: install {', '.join(missing) or 'Redis'}")
        pytest.skip(f"needs {', '.join(missing) or 'REDIS_URL'}")
    folder = Path(tempfile.mkdtemp(prefix="ow-proxy-"))
    port, https_port, http_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
        "DATABASE_URL": "",  # SQLite in DATA_DIR, shared by both nodes
        "DATA_DIR": str(folder / "data"),
        # A Redis database of their own, shared: the rate limit counts across nodes.
        "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/8",
        "REPORT_STREAM": "0",
        "REPORT_RATE_LIMIT": "2/m",
        "ALLOWED_HOSTS": "localhost",
        # As docker-compose.yml sets them behind Caddy.
        "NUM_PROXIES": "1",
        "SECURE_PROXY_SSL_HEADER": "1",
        "HTTPS": "1",
        "LOG_FORMAT": "text",
        "PYTHONUNBUFFERED": "1",  # each request line in the log at once
        "LOG_LEVEL": "INFO",
    }
    python = Path(sys.executable).parent
    subprocess.run(
        [python / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180
    )
    subprocess.run(
        [python / "python", "manage.py", "load_catalog"], cwd=ROOT, env=env, check=True, timeout=60
    )
    subprocess.run(["redis-cli", "-u", env["REDIS_URL"], "flushdb"], check=True, capture_output=True)
    nodes = {
        address: _spawn(
            folder,
            f"web-{address}",
            [
                python / "granian",
                "--interface",
                "wsgi",
                "--host",
                address,
                "--port",
                str(port),
                "--workers",
                "1",
                "outagewatch.wsgi:application",
            ],  # fmt: skip
            env,
        )
        for address in WEB_NODES
    }
    dns = DockerLikeDNS("web", WEB_NODES)
    caddy_env = {
        **os.environ,
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "caddy-data"),
        "XDG_CONFIG_HOME": str(folder / "caddy-config"),
        "CADDY_ADMIN": f"127.0.0.1:{free_port()}",
        "SITE_ADDRESS": "localhost",
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
        "WEB_HOST": "web",
        "WEB_PORT": str(port),
        "WEB_DNS": f"udp/{dns.address}",
    }
    caddy = _spawn(
        folder,
        "caddy",
        ["caddy", "run", "--config", str(ROOT / "Caddyfile"), "--adapter", "caddyfile"],
        caddy_env,
    )
    proxied = Proxied(
        folder=folder,
        https=f"https://localhost:{https_port}",
        http=f"http://localhost:{http_port}",
        ca=folder / "caddy-data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
        nodes=nodes,
    )
    try:
        _wait_for_caddy(proxied)
        yield proxied
    finally:
        for process in [*nodes.values(), caddy]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
        dns.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_caddy(proxied: Proxied) -> None:
    try:
        wait_until(proxied.ca.exists, 30, "Caddy's local CA")
        wait_until(
            lambda: subprocess.run(
                ["curl", "-s", "--cacert", str(proxied.ca), "-o", "/dev/null", "-w", "%{http_code}",
                 proxied.https + "/healthz?only=database"],
                capture_output=True, text=True,
            ).stdout == "200",
            60,
            "Caddy and the web nodes to answer",
        )  # fmt: skip
    except AssertionError as failed:
        logs = {
            name: (proxied.folder / f"{name}.log").read_text()[-2000:] for name in ("caddy", "web-127.0.0.1")
        }
        raise AssertionError(
            f"{failed}\n" + "\n".join(f"--- {n}:\n{text}" for n, text in logs.items())
        ) from None


def test_it_answers_over_https_and_http2_with_a_certificate_for_the_site(proxied):
    version, status, _ = proxied.curl(proxied.https + "/healthz?only=database,redis")

    assert (version, status) == ("2", "200")


def test_plain_http_is_sent_to_https(proxied):
    _, status, headers = proxied.curl(proxied.http + "/status/whatsapp/")

    assert status == "308"
    assert "location: https://localhost" in headers


def test_django_knows_the_request_came_over_https(proxied):
    """HTTPS=1 redirects plain requests: a 200 with HSTS means X-Forwarded-Proto was trusted."""
    _, status, headers = proxied.curl(proxied.https + "/status/whatsapp/")

    assert status == "200"
    assert "strict-transport-security: max-age=" in headers


def test_requests_are_spread_over_every_web_node(proxied):
    before = {node: proxied.served_by(node) for node in WEB_NODES}

    for _ in range(20):
        assert proxied.curl(proxied.https + "/healthz?only=database")[1] == "200"

    served = {node: proxied.served_by(node) - before[node] for node in WEB_NODES}
    assert sum(served.values()) == 20
    assert all(n > 0 for n in served.values()), served


def test_a_forged_x_forwarded_for_does_not_escape_the_rate_limit(proxied):
    """NUM_PROXIES=1 reads the address Caddy saw; what the client wrote is not trusted."""
    statuses = [
        proxied.curl(
            proxied.https + "/api/v1/reports/",
            "-H", "Content-Type: application/json",
            "-H", f"X-Forwarded-For: 203.0.113.{n}",
            "-d", '{"service": "whatsapp", "problem": "messages", "region": "US"}',
        )[1]
        for n in range(3)
    ]  # fmt: skip

    assert statuses == ["201", "201", "429"]  # the limit is 2 a minute per address


def test_a_web_node_that_dies_costs_no_request(proxied):
    doomed = proxied.nodes[WEB_NODES[1]]
    os.killpg(doomed.pid, signal.SIGKILL)  # the machine is gone: master and workers
    doomed.wait(timeout=10)

    statuses = [proxied.curl(proxied.https + "/healthz?only=database")[1] for _ in range(20)]

    assert statuses == ["200"] * 20
