"""Alerts at scale: one spike, N followers, from the event to the last message
handed over, through the real path (Celery worker, PostgreSQL, Redis).

    .venv/bin/python benchmarks/alerts_fanout.py                      # 100,000 mails, then 100,000 pushes
    .venv/bin/python benchmarks/alerts_fanout.py --followers 20000 --medium email

It starts its own PostgreSQL (fsync on) and Redis, migrates, and starts the
receivers in processes of their own: an SMTP server (aiosmtpd) that counts the
mails it accepts, and a push service (HTTP on 127.0.0.1) that counts messages
and decrypts one in every --check-every with the browser's key (RFC 8291), to
prove the payload is right. For each medium it stores N confirmed subscribers
following one service, starts one `celery worker` (prefork, --concurrency
processes), opens a spike at "problems detected" and sends the outbox task.
It then waits, at most --timeout seconds, until every message is marked sent,
and prints: fan-out time (event to the last message row), throughput of the
sending, time to the first and the last message, the receiver's count, and the
worker's peak memory (VmHWM of its processes, main and children). Exits 1 if a
message is missing or doubled at the receiver. Everything it started is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from reports.tests.stack import Postgres, Redis, free_port  # noqa: E402 - needs ROOT on the path

COMMAND = " ".join(["benchmarks/alerts_fanout.py", *sys.argv[1:]])


# --- the receivers, each run as `alerts_fanout.py --serve smtp|push PORT COUNTFILE` ----------


def serve_smtp(port: int, count_file: Path) -> None:
    from aiosmtpd.controller import Controller

    received = {"n": 0, "ids": set(), "doubled": 0}

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            message_id = next(
                (line for line in envelope.content.split(b"\r\n") if line.lower().startswith(b"message-id:")),
                b"",
            )
            received["doubled"] += message_id in received["ids"]
            received["ids"].add(message_id)
            received["n"] += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    _report_until_stopped(count_file, lambda: {"received": received["n"], "doubled": received["doubled"]})
    controller.stop()


def serve_push(port: int, count_file: Path, key_file: Path, check_every: int) -> None:
    import http_ece
    from cryptography.hazmat.primitives import serialization

    keys = json.loads(key_file.read_text())
    private_key = serialization.load_pem_private_key(keys["private_pem"].encode(), None)
    auth = bytes.fromhex(keys["auth_hex"])
    state = {"n": 0, "checked": 0, "bad": 0, "seen": set(), "doubled": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - the name http.server calls
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            name = self.path.rsplit("/", 1)[-1]
            state["doubled"] += name in state["seen"]
            state["seen"].add(name)
            state["n"] += 1
            if state["n"] % check_every == 1:
                try:
                    shown = json.loads(http_ece.decrypt(body, private_key=private_key, auth_secret=auth))
                    state["checked"] += shown["title"] == "Problems at WhatsApp"
                except Exception:  # noqa: BLE001 - counted, and the run fails on it
                    state["bad"] += 1
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _report_until_stopped(
        count_file,
        lambda: {
            "received": state["n"],
            "decrypted_ok": state["checked"],
            "bad": state["bad"],
            "doubled": state["doubled"],
        },
    )
    server.shutdown()


def _report_until_stopped(count_file: Path, counts) -> None:
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    while not stopping:
        count_file.write_text(json.dumps(counts()))
        time.sleep(0.2)
    count_file.write_text(json.dumps(counts()))


# --- the run ------------------------------------------------------------------------------


def family(pid: int) -> list[int]:
    """A process and its children (the worker's prefork pool)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in children.read_text().split())] if children.exists() else [pid]


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of the processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int) -> float:
    """VmHWM (peak resident memory) of a process and its children, summed."""
    total = 0
    for each in family(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def seed(medium: str, followers: int, key_file: Path, push_url: str) -> None:
    """N subscribers following WhatsApp, made as confirmed subscribers are."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from alerts.models import AlertCursor, Follow, Subscriber
    from reports.models import Service, ServiceGroup

    group, _ = ServiceGroup.objects.get_or_create(slug="meta", defaults={"name": "Meta"})
    service, _ = Service.objects.get_or_create(
        slug="whatsapp", defaults={"name": "WhatsApp", "category": "messaging", "group": group}
    )
    AlertCursor.objects.get_or_create(pk=1, defaults={"seen": [[0, 0]]})
    Subscriber.objects.all().delete()
    fields: dict = {"medium": medium, "time_zone": "Europe/Paris"}
    if medium == "push":
        # One browser key pair for all (the receiver decrypts samples with it); each
        # subscriber has its own endpoint, as each browser does.
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        key_file.write_text(json.dumps({"private_pem": pem.decode(), "auth_hex": auth.hex()}))
        b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
        fields.update(p256dh=b64(point), auth=b64(auth))
    for start in range(0, followers, 5000):
        made = Subscriber.objects.bulk_create(
            [
                Subscriber(
                    **fields,
                    **(
                        {"email": f"reader{i}@example.org"}
                        if medium == "email"
                        else {"endpoint": f"{push_url}/push/browser{i}"}
                    ),
                )
                for i in range(start, min(followers, start + 5000))
            ]
        )
        Follow.objects.bulk_create([Follow(subscriber=s, service=service) for s in made])


def run_medium(medium: str, args, env: dict[str, str], folder: Path) -> dict:
    from django.db import connection
    from django.utils import timezone

    from alerts.models import Notification
    from spikes.models import Series, Spike, SpikeChange

    port = free_port()
    count_file = folder / f"{medium}-count.json"
    key_file = folder / "browser-key.json"
    push_url = f"http://127.0.0.1:{port}"
    print(f"==> seeding {args.followers:,} {medium} followers", flush=True)
    seed(medium, args.followers, key_file, push_url)
    Notification.objects.all().delete()
    serve = [
        BIN / "python",
        __file__,
        "--serve",
        medium,
        str(port),
        str(count_file),
        str(key_file),
        str(args.check_every),
    ]
    receiver = subprocess.Popen(serve, cwd=ROOT, env=env)
    worker_env = env | {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
    worker_log = (folder / f"worker-{medium}.log").open("w")
    worker = subprocess.Popen(
        [BIN / "celery", "-A", "outagewatch", "worker", "--pool=prefork", f"--concurrency={args.concurrency}",
         "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=worker_env, stdout=subprocess.DEVNULL, stderr=worker_log,
    )  # fmt: skip
    try:
        time.sleep(4)  # the worker and the receiver start
        from alerts import tasks
        from reports.models import Service

        service = Service.objects.get(slug="whatsapp")
        series, _ = Series.objects.get_or_create(service=service, region="")
        Spike.objects.filter(series=series).update(ended_at=timezone.now())
        now = timezone.now()
        spike = Spike.objects.create(
            series=series, service=service, region="", level="danger", started_at=now, detected_at=now,
            peak_at=now, peak_reports=500, expected_reports=20.0, problems={"messages": 0.7, "pictures": 0.3},
            regions={"IN": 0.5, "BR": 0.3, "US": 0.2},
        )  # fmt: skip
        SpikeChange.objects.create(spike=spike, at=now, kind="opened", level="danger")
        connection.close()
        started = time.monotonic()
        tasks.collect_alert_events.delay()
        fanned_out = first = None
        sent = 0
        peak = 0.0
        cpu: dict[int, float] = {}
        deadline = started + args.timeout
        while time.monotonic() < deadline:
            peak = max(peak, peak_memory_mb(worker.pid))
            cpu.update({pid: cpu_seconds([pid]) for pid in family(worker.pid)})
            receiver_cpu = cpu_seconds([receiver.pid])
            rows = Notification.objects.filter(event__spike=spike).count()
            if fanned_out is None and rows >= args.followers:
                fanned_out = time.monotonic() - started
            sent = Notification.objects.filter(event__spike=spike, status="sent").count()
            if sent and first is None:
                first = time.monotonic() - started
            if sent >= args.followers:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        peak = max(peak, peak_memory_mb(worker.pid))
        cpu.update({pid: cpu_seconds([pid]) for pid in family(worker.pid)})
        receiver_cpu = cpu_seconds([receiver.pid])
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        receiver.send_signal(signal.SIGTERM)
        receiver.wait(timeout=30)
        worker_log.close()
    counts = json.loads(count_file.read_text())
    return {
        "medium": medium,
        "followers": args.followers,
        "sent": sent,
        "fan_out_s": fanned_out,
        "first_s": first,
        "all_s": elapsed,
        "per_s": sent / (elapsed - (first or 0)) if sent and elapsed > (first or 0) else 0.0,
        "peak_mb": peak,
        "worker_cpu_s": sum(cpu.values()),
        "receiver_cpu_s": receiver_cpu,
        **counts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--medium", choices=["email", "push", "both"], default="both")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="worker processes (sending waits on round trips: more than cores)",
    )
    parser.add_argument("--batch", type=int, default=500, help="ALERTS_BATCH_SIZE")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per medium, at most")
    parser.add_argument(
        "--check-every", type=int, default=1000, help="the push receiver decrypts one in this many"
    )
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        medium, port, count_file, key_file, check_every = args.serve
        if medium == "email":
            serve_smtp(int(port), Path(count_file))
        else:
            serve_push(int(port), Path(count_file), Path(key_file), int(check_every))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="ow-alerts-bench-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user, below this folder
    postgres = Postgres(folder / "servers", durable=True)
    redis = Redis(folder / "servers")
    postgres.init()
    redis.start()
    env = os.environ | {
        "DATABASE_URL": postgres.url,
        "REDIS_URL": redis.url,
        "DATA_DIR": str(folder / "data"),
        "DJANGO_SETTINGS_MODULE": "outagewatch.settings",
        "SITE_URL": "https://outagewatch.example",
        "EMAIL_BACKEND": "smtp",
        "EMAIL_SECURITY": "none",
        "ALERTS_EMAIL_RATE": "1000000/s",
        "ALERTS_ALLOW_PRIVATE_URLS": "1",
        "ALERTS_BATCH_SIZE": str(args.batch),
        "ALERTS_DAILY_LIMIT": "1000",
        "LOG_REQUESTS": "0",
    }
    os.environ.update(env)
    results = []
    try:
        subprocess.run([BIN / "python", "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        for medium in ["email", "push"] if args.medium == "both" else [args.medium]:
            results.append(run_medium(medium, args, env, folder))
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n`{COMMAND}` (prefork worker, --concurrency {args.concurrency}, batches of {args.batch})\n")
    print(
        "| medium | messages | fan-out done | first handed over | all handed over | throughput | received "
        "| worker CPU per message | receiver CPU | worker peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for r in results:
        print(
            f"| {r['medium']} | {r['sent']:,} of {r['followers']:,} | {r['fan_out_s'] or float('nan'):.1f} s "
            f"| {r['first_s'] or float('nan'):.1f} s | {r['all_s']:.1f} s | {r['per_s']:,.0f} /s "
            f"| {r['received']:,} ({r['doubled']} doubled) | {1000 * r['worker_cpu_s'] / max(1, r['sent']):.1f} ms "
            f"| {r['receiver_cpu_s']:.0f} s | {r['peak_mb']:,.0f} MB |"
        )
        if r["medium"] == "push":
            print(
                f"\npush payloads decrypted by the receiver and correct: {r['decrypted_ok']}, undecryptable: {r['bad']}"
            )
        failed |= r["sent"] < r["followers"] or r["received"] != r["sent"] or r["doubled"] or r.get("bad", 0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
