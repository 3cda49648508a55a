#!/usr/bin/env python3
"""Set up and run outagewatch on a fresh machine that has nothing but Python 3.11+.

    python3 dev.py run              # web, Celery worker and beat on http://127.0.0.1:8000
    python3 dev.py run --demo       # the same with simulated history and live reports
    python3 dev.py run --demo --reset   # ... after deleting every report, spike and incident
    python3 dev.py test             # the whole test suite (extra arguments go to pytest)

Both create .venv and install the pinned requirements when they changed. `run`
then migrates, loads the catalog and starts the three processes; Ctrl-C stops them.
LISTEN sets the web server's address (default 127.0.0.1:8000). With nothing
configured it uses SQLite and Celery's filesystem broker under var/ (DATA_DIR);
set DATABASE_URL and REDIS_URL (see .env.example) for PostgreSQL and Redis.

`--demo` first seeds days of simulated history through the real pipeline (about
a minute), then runs a fourth process that posts live reports to the site, with an
outage a few minutes after the start (docs/demo.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install `requirements` unless this exact set is installed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under any python3
        sys.exit(f"outagewatch needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say(f"Creating the virtualenv in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = [ROOT / requirements, ROOT / "requirements.txt"]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    stamp = VENV / f".installed-{requirements}-{digest}"
    if not stamp.exists():
        say(f"Installing {requirements}")
        subprocess.run(
            [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", ROOT / requirements],
            check=True,
        )
        for old in VENV.glob(f".installed-{requirements}-*"):
            old.unlink()
        stamp.touch()


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([PYTHON, ROOT / "manage.py", *args], check=True, cwd=ROOT, env=env)


def parse_run(argv: list[str]) -> argparse.Namespace:
    """The options of `dev.py run`; exits with a usage message on anything else."""
    parser = argparse.ArgumentParser(
        prog="python3 dev.py run", description="Run outagewatch on this machine."
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="seed simulated history (once) and feed live reports, with an outage a few minutes in",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="with --demo: first delete every report, count, spike and incident in the database",
    )
    options = parser.parse_args(argv)
    if options.reset and not options.demo:
        parser.error("--reset deletes data for a fresh demo and goes only with --demo")
    return options


def local_url(address: str) -> str:
    """The URL at which this machine reaches a server listening on `address`
    (runserver's forms: PORT, HOST:PORT, [IPv6]:PORT; 0.0.0.0 and :: listen everywhere)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def is_loopback(address: str) -> bool:
    """Whether a server listening on `address` is reachable from this machine only."""
    host = address.rpartition(":")[0].strip("[]")
    return host in {"", "localhost", "::1"} or host.startswith("127.")


def demo_environment(environ: dict[str, str]) -> dict[str, str]:
    """The environment of the demo's processes: the web server trusts one proxy, the
    feeder, which stands in front of a crowd of simulated people and names each in
    X-Forwarded-For (rate limits and fingerprints stay the product's own); and the
    per-request and per-task logs are quieter, so that the demo's own lines can be
    read. Each can still be set by hand."""
    return {"NUM_PROXIES": "1", "LOG_REQUESTS": "0", "LOG_LEVEL": "WARNING", **environ}


def process_commands(address: str, demo: bool, log_level: str = "info") -> dict[str, list]:
    commands = {
        "web": [PYTHON, "manage.py", "runserver", address, "--noreload"],
        "worker": [BIN / "celery", "-A", "outagewatch", "worker", "-l", log_level, "--concurrency", "2"],
        "beat": [BIN / "celery", "-A", "outagewatch", "beat", "-l", log_level],
    }
    if demo:
        commands["feeder"] = [PYTHON, "manage.py", "demo", "feed", "--url", local_url(address)]
    return commands


def run(argv: list[str]) -> int:
    options = parse_run(argv)
    ensure_venv("requirements.txt")
    env = demo_environment(dict(os.environ)) if options.demo else dict(os.environ)
    say("Migrating the database")
    manage("migrate", "--noinput", env=env)
    say("Loading the service catalog")
    manage("load_catalog", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)
    address = os.environ.get("LISTEN", "127.0.0.1:8000")
    if options.demo:
        say("Preparing the demo")
        seeded = subprocess.run(
            [PYTHON, ROOT / "manage.py", "demo", "seed", *(["--reset"] if options.reset else [])],
            cwd=ROOT,
            env=env,
        )
        if seeded.returncode:
            return seeded.returncode  # the command said why
        if not is_loopback(address):
            say(
                f"Note: the demo's web server trusts X-Forwarded-For (NUM_PROXIES=1) so that its feeder "
                f"can stand for a crowd; anyone who reaches {address} can too. Keep demos on 127.0.0.1."
            )
    log_level = env.get("LOG_LEVEL", "INFO").lower()
    commands = process_commands(address, options.demo, log_level)
    processes = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    say(f"outagewatch is running on {local_url(address)}/ ({', '.join(commands)}). Ctrl-C stops it.")
    stopping = interrupted = False

    def stop(signum, _frame):
        nonlocal stopping, interrupted
        stopping, interrupted = True, signum == signal.SIGINT

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(
                    f"{name} stopped with exit code {process.returncode}; stopping the rest.", file=sys.stderr
                )
                exit_code, stopping = process.returncode or 1, True
        time.sleep(0.5)
    if interrupted:
        # Ctrl-C reached the whole process group: let each finish on its own first.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(p.poll() is None for p in processes.values()):
            time.sleep(0.1)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


def test(args: list[str]) -> int:
    ensure_venv("requirements-dev.txt")
    return subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test"}:
        print(__doc__)
        return 2
    if argv[0] == "run":
        return run(argv[1:])
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
