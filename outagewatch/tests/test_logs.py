"""Logs: JSON or text lines on stdout, each with its request id, never an address."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import pytest

from outagewatch.env import ImproperlyConfiguredEnv, env_choice

ROOT = Path(__file__).resolve().parents[2]

# A request through the whole stack in a fresh process configured from the environment.
SCRIPT = """
import django; django.setup()
import logging
from django.test import Client
Client(HTTP_HOST="localhost").get("/healthz?only=nothing", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="203.0.113.77")
logging.getLogger("outagewatch.demo").warning("outside any request")
"""


def run_with(tmp_path, **env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=os.environ
        | {"DJANGO_SETTINGS_MODULE": "outagewatch.settings", "DATA_DIR": str(tmp_path), "DEBUG": "0"}
        | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_json_lines_carry_the_request_id_and_the_request_but_no_address(tmp_path):
    lines = [json.loads(line) for line in run_with(tmp_path, LOG_FORMAT="json")]

    request_line = next(line for line in lines if line["logger"] == "outagewatch.request")
    assert request_line["request_id"] == "req-42"
    assert (request_line["method"], request_line["path"], request_line["status"]) == ("GET", "/healthz", 400)
    assert request_line["level"] == "INFO"
    assert request_line["time"].startswith("20")
    assert isinstance(request_line["duration_ms"], float)
    other = next(line for line in lines if line["logger"] == "outagewatch.demo")
    assert other["request_id"] == "-"
    assert not any("203.0.113.77" in json.dumps(line) for line in lines)


def test_text_lines_are_for_people(tmp_path):
    lines = run_with(tmp_path, LOG_FORMAT="text", LOG_LEVEL="warning")

    assert len(lines) == 1
    assert "WARNING outagewatch.demo [-] outside any request" in lines[0]


def test_the_request_id_is_sent_back_and_made_up_when_missing_or_odd(client, db):
    given = client.get("/healthz?only=database", HTTP_X_REQUEST_ID="abc-123")
    made_up = client.get("/healthz?only=database", HTTP_X_REQUEST_ID="<script>")

    assert given["X-Request-ID"] == "abc-123"
    assert len(made_up["X-Request-ID"]) == 32 and made_up["X-Request-ID"].isalnum()


def test_request_lines_can_be_turned_off(client, db, settings, caplog):
    settings.LOG_REQUESTS = False

    with caplog.at_level(logging.INFO, logger="outagewatch.request"):
        client.get("/healthz?only=database")

    assert not [r for r in caplog.records if r.name == "outagewatch.request"]


def test_an_unknown_log_format_or_level_stops_the_start_up_with_the_choices():
    with pytest.raises(ImproperlyConfiguredEnv, match="LOG_FORMAT='xml': choose one of json, text"):
        env_choice("LOG_FORMAT", "text", ("json", "text"), environ={"LOG_FORMAT": "xml"})
    assert env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO"), environ={"LOG_LEVEL": "debug"}) == "DEBUG"
