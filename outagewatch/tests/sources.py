"""Our own source files, for the tests that read the code itself (the layers, the
gettext name)."""

from __future__ import annotations

import configparser
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def our_packages() -> list[str]:
    """The root packages import-linter checks: ours."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def modules(tests: bool) -> Iterator[Path]:
    for package in our_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if ("tests" in path.parts) == tests:
                yield path
