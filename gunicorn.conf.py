"""gunicorn settings, read from the environment (gunicorn loads this file from the
working directory). docs/production.md explains the numbers."""

import os
import shutil
from pathlib import Path

# Processes: about two per core. WEB_CONCURRENCY is also gunicorn's own variable.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threads per process: requests waiting on PostgreSQL or Redis let others run.
threads = int(os.environ.get("WEB_THREADS", "2"))
bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
# A request that takes longer than this is stuck: the worker is replaced.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# Replace workers now and then, so a slow leak never grows into an outage of ours.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
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
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
