"""Playwright driving Debian's chromium for the browser tests (no downloaded browsers)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_path() -> str:
    """The chromium to drive; skips locally without one, fails in CI (env CI set)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        message = f"chromium is not installed (looked for {CHROMIUM}); apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


class Visitor:
    """A page that takes a screenshot of every page it visits, and records any
    Content-Security-Policy violation or script error."""

    def __init__(self, page, live_url: str, folder: Path, test_name: str) -> None:
        self.page = page
        self.live_url = live_url
        self.folder = folder
        name = re.sub(r"[^\w-]+", "_", test_name)
        # Short, and unique: parametrized names differ at their end.
        self.prefix = name if len(name) <= 80 else f"{name[:56]}-{name[-23:]}"
        self.shots = 0
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(m.text))
        page.on("pageerror", lambda e: self.problems.append(str(e)))

    def screenshot(self, name: str) -> Path:
        self.shots += 1
        path = self.folder / f"{self.prefix}-{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def visit(self, path: str, name: str):
        response = self.page.goto(self.live_url + path)
        # The pages run under the policy the app itself sends (outagewatch/security.py).
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or "")
        self.screenshot(name)
        return response


def load_regions() -> None:
    """The regions of the data migration, again: a live-server test ends with a
    flush that empties them."""
    from django.apps import apps

    importlib.import_module("reports.migrations.0002_load_regions").load_regions(apps, None)
