"""The Celery application: broker and schedule come from settings (CELERY_*)."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_shutdown, worker_ready
from prometheus_client import CollectorRegistry, multiprocess, start_http_server

from outagewatch.env import env_int
from outagewatch.logs import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outagewatch.settings")

app = Celery("outagewatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    # The filesystem transport (the embedded default) needs its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_ready.connect
def _serve_worker_metrics(sender=None, **kwargs) -> None:
    # The worker's processes (prefork children) write their samples to
    # PROMETHEUS_MULTIPROC_DIR; the main process serves their sum for Prometheus.
    port = env_int("WORKER_METRICS_PORT", 0, minimum=0, maximum=65535)
    if port and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, addr=os.environ.get("WORKER_METRICS_ADDR", "0.0.0.0"), registry=registry)


@worker_process_shutdown.connect
def _forget_dead_process_gauges(pid=None, **kwargs) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())


@task_prerun.connect
def _log_with_task_id(task_id=None, **kwargs) -> None:
    # Log lines written while a task runs carry its id, like a request's lines.
    request_id.set(task_id or "-")


@task_postrun.connect
def _forget_task_id(**kwargs) -> None:
    request_id.set("-")
