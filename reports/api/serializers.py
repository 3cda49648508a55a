"""Representations of reports in the API."""

from __future__ import annotations

from typing import Any

from reports.intake import ValidReport
from reports.models import Report


def accepted_report(report: Report, valid: ValidReport) -> dict[str, Any]:
    """The body of a 201: the stored report, named by slugs as it was sent.

    Built from what validation already knows, so answering costs no extra query.
    """
    return {
        "id": report.pk,
        "service": valid.service_slug,
        "problem": valid.problem_slug,
        "region": report.region_id,
        "comment": report.comment,
        "source": report.source,
        "created_at": report.created_at.isoformat().replace("+00:00", "Z"),
        "is_repeat": report.is_repeat,
    }
