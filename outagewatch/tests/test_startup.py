"""Importing the settings writes nothing; a process prepares the data directory when
it starts, and manage.py generates the SECRET_KEY the settings then read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, data_dir: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    environ |= {"DJANGO_SETTINGS_MODULE": "outagewatch.settings", "DATA_DIR": str(data_dir), **env}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_the_settings_writes_nothing(tmp_path):
    data = tmp_path / "data"

    run("import outagewatch.settings", data)

    assert not data.exists()


def test_a_process_makes_its_data_folders_when_django_starts(tmp_path):
    data = tmp_path / "data"

    run("import django; django.setup()", data)

    assert (data / "static").is_dir()
    assert not (data / "secret_key").exists()  # only the entry points make one


def test_manage_py_generates_one_key_that_every_later_process_uses(tmp_path):
    data = tmp_path / "data"
    print_key = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"

    run(
        "import runpy, sys; sys.argv = ['manage.py', 'check']; runpy.run_path('manage.py', run_name='__main__')",
        data,
    )
    keys = {run(print_key, data) for _ in range(2)}

    key_file = data / "secret_key"
    assert keys == {key_file.read_text()} and len(key_file.read_text()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_configured_key_or_key_file_wins_and_nothing_is_generated(tmp_path):
    data = tmp_path / "data"
    secret = tmp_path / "secret"
    secret.write_text("docker-secret-key\n")
    print_key = (
        "from outagewatch.startup import ensure_secret_key; ensure_secret_key(); "
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    )

    assert run(print_key, data, SECRET_KEY_FILE=str(secret)) == "docker-secret-key"
    assert run(print_key, data, SECRET_KEY="from-the-environment") == "from-the-environment"
    assert not (data / "secret_key").exists()
