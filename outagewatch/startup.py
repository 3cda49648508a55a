"""What a process prepares on disk when it starts, never when the settings are
imported: the data directory (SQLite, the file cache, the filesystem broker,
static files), and without SECRET_KEY a generated key kept there.

- make_data_dirs: OutagewatchConfig.ready, in every process once Django is set up;
- ensure_secret_key: the entry points, before the settings are read: manage.py
  (so `python3 dev.py run`, whose first step is `manage.py migrate`) and the WSGI
  module.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings

from outagewatch.env import env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """DATA_DIR: where the embedded default keeps its database, broker, cache and key."""
    return Path(env_str("DATA_DIR", str(BASE_DIR / "var"), environ)).resolve()


def generated_secret_key(directory: Path) -> str:
    """The key ensure_secret_key generated in `directory`, or "" if there is none."""
    try:
        return (directory / SECRET_KEY_FILE).read_text().strip()
    except FileNotFoundError:
        return ""


def ensure_secret_key(environ: Mapping[str, str] | None = None) -> None:
    """Without SECRET_KEY (or SECRET_KEY_FILE), generate a key once and keep it in
    DATA_DIR, readable by its owner only: a checkout that runs without any
    configuration still signs its cookies with a secret nobody else knows, and
    keeps it from one start to the next."""
    if env_secret("SECRET_KEY", environ=environ):
        return
    directory = data_dir(environ)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, one writes and the other reads.
        descriptor = os.open(directory / SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(secrets.token_urlsafe(50))


def make_data_dirs() -> None:
    """The folders the embedded default writes into (WhiteNoise warns on every
    request while STATIC_ROOT is missing)."""
    for directory in (settings.DATA_DIR, settings.STATIC_ROOT):
        Path(directory).mkdir(parents=True, exist_ok=True)
