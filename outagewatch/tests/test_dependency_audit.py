"""scripts/audit-dependencies: fails on a known vulnerability, and says loudly when
the audit could not be done instead of passing it off as clean.

pip-audit asks PyPI's vulnerability service, an outside party: here a stand-in
executable prints what pip-audit prints in each case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2025-1", "fix_versions": ["5.2.1"]}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ],
    "fixes": [],
}
UNREACHABLE = {
    "dependencies": [
        {
            "name": "django",
            "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)",
        },
        {
            "name": "celery",
            "skip_reason": "Dependency not found on PyPI and could not be audited: celery (5.7.0)",
        },
    ],
    "fixes": [],
}
CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}], "fixes": []}


def audit(tmp_path, report: dict, *args: str) -> subprocess.CompletedProcess:
    stand_in = tmp_path / "pip-audit"
    stand_in.write_text(f"#!{sys.executable}\nprint({json.dumps(json.dumps(report))})\n")
    stand_in.chmod(0o755)
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit-dependencies"), *args],
        env=os.environ | {"PIP_AUDIT": str(stand_in)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_fails_on_a_known_vulnerability_and_names_the_fix(tmp_path):
    result = audit(tmp_path, VULNERABLE)

    assert result.returncode == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)" in result.stdout


def test_it_says_loudly_that_nothing_was_audited_when_the_service_is_unreachable(tmp_path):
    result = audit(tmp_path, UNREACHABLE)

    assert result.returncode == 0
    assert "0 of 2 packages audited" in result.stdout
    assert "DEPENDENCY AUDIT INCOMPLETE" in result.stderr


def test_an_incomplete_audit_fails_where_one_is_required(tmp_path):
    assert audit(tmp_path, UNREACHABLE, "--require-audit").returncode == 2


@pytest.mark.parametrize(("args", "code"), [((), 0), (("--require-audit",), 0)])
def test_a_clean_audit_passes(tmp_path, args, code):
    result = audit(tmp_path, CLEAN, *args)

    assert result.returncode == code
    assert "1 of 1 packages audited, 0 vulnerable" in result.stdout
    assert result.stderr == ""
