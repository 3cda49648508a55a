"""Representations of reports in the API."""

from __future__ import annotations

from typing import Any

from outagewatch.times import iso_utc
from reports.intake import Accepted, ValidReport


def accepted_report(report: Accepted, valid: ValidReport) -> dict[str, Any]:
    """The body of a 201: the accepted report, named by slugs as it was sent.

    Built from what validation already knows, so answering costs no query. `id` is
    the report's intake id; `is_repeat` is null when the report went through the
    stream (the mover decides it when storing), `stored` says which way it went.
    """
    return {
        "id": str(report.intake_id),
        "service": valid.service_slug,
        "problem": valid.problem_slug,
        "region": report.region,
        "subdivision": report.subdivision,
        "comment": report.comment,
        "source": report.source,
        "created_at": iso_utc(report.created_at),
        "is_repeat": report.is_repeat,
        "stored": report.stored,
    }
