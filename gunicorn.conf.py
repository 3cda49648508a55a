"""gunicorn settings, read from the environment through the project's typed helpers
(a typo such as WEB_CONCURRENCY=four stops the start with a message naming the
variable; gunicorn loads this file from the working directory, which it has put on
the import path). .env.example lists the WEB_* variables; docs/production.md
explains the numbers."""

import os
import shutil
from pathlib import Path

from prometheus_client import multiprocess

from outagewatch.env import env_int, env_str

# Processes: about two per core. WEB_CONCURRENCY is also gunicorn's own variable.
workers = env_int("WEB_CONCURRENCY", 4, minimum=1, maximum=64)
# Threads per process. 1 = gunicorn's sync worker, the one gunicorn recommends behind
# a buffering reverse proxy (which the TLS proxy in front is). With 2 threads
# (the gthread worker) a worker retiring at max_requests left the keep-alive
# connections parked on it waiting up to 2 s: the intake benchmark's p99 went
# from 15 ms to 2 s (docs/intake-load.md). Raise it for pages that wait long on I/O.
threads = env_int("WEB_THREADS", 1, minimum=1, maximum=64)
bind = env_str("WEB_BIND", "0.0.0.0:8000")
# A request that takes longer than this is stuck: the worker is replaced.
timeout = env_int("WEB_TIMEOUT", 30, minimum=1, maximum=3600)
graceful_timeout = 20
# Replace workers now and then, so a slow leak never grows into an outage of ours.
max_requests = env_int("WEB_MAX_REQUESTS", 10000, minimum=0)
max_requests_jitter = max_requests // 10
# Load Django once in the master and fork the workers from it: a replaced worker
# starts in milliseconds instead of re-importing the project (about a second of
# CPU each; at 2,000 req/s a worker was replaced every few seconds, and the
# intake benchmark's p99 showed it). Nothing opens a connection at import time.
preload_app = True
# outagewatch logs one line per request itself (JSON, with its request id, without
# the client address), so gunicorn's access log stays off.
accesslog = None
errorlog = "-"


def on_starting(server):
    # Prometheus multiprocess mode: samples of an earlier run must not be added in.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
