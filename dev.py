#!/usr/bin/env python3
"""Set up and run outagewatch on a fresh machine that has nothing but Python 3.11+.

    python3 dev.py run     # web, Celery worker and beat on http://127.0.0.1:8000
    python3 dev.py test    # the whole test suite (extra arguments go to pytest)

Both create .venv and install the pinned requirements when they changed. `run`
then migrates, loads the catalog and starts the three processes; Ctrl-C stops them.
With nothing configured it uses SQLite and Celery's filesystem broker under var/;
set DATABASE_URL and REDIS_URL (see .env.example) for PostgreSQL and Redis.
"""

from __future__ import annotations

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


def manage(*args: str) -> None:
    subprocess.run([PYTHON, ROOT / "manage.py", *args], check=True, cwd=ROOT)


def run() -> int:
    ensure_venv("requirements.txt")
    say("Migrating the database")
    manage("migrate", "--noinput")
    say("Loading the service catalog")
    manage("load_catalog")
    manage("collectstatic", "--noinput", "-v0")
    address = os.environ.get("LISTEN", "127.0.0.1:8000")
    commands = {
        "web": [PYTHON, "manage.py", "runserver", address, "--noreload"],
        "worker": [BIN / "celery", "-A", "outagewatch", "worker", "-l", "info", "--concurrency", "2"],
        "beat": [BIN / "celery", "-A", "outagewatch", "beat", "-l", "info"],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT) for name, cmd in commands.items()}
    say(f"outagewatch is running on http://{address}/ (web, worker and beat). Ctrl-C stops it.")
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

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


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    if sys.argv[1] == "run":
        return run()
    return test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
