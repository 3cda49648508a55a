"""Reports in bulk, as the intake would have stored them, for pipeline tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from reports.models import Report, Service
from spikes.db import insert_many

COLUMNS = ["service_id", "problem_id", "region_id", "created_at", "comment", "comment_hidden"]
COLUMNS += ["source", "fingerprint", "is_repeat", "subdivision"]


def add_reports(
    service: Service,
    start: datetime,
    minutes: int,
    per_minute: int,
    region: str = "US",
    problem: str | None = None,
    reporter: str = "r",
    subdivision: str = "",
) -> int:
    """`per_minute` distinct reporters in every minute of [start, start + minutes)
    (in `subdivision` of the region, if given)."""
    problems = {p.slug: p.pk for p in service.ordered_problem_types()}
    problem_id = problems[problem] if problem else next(iter(problems.values()))
    rows = [
        (
            service.pk,
            problem_id,
            region,
            start + timedelta(minutes=m, seconds=(i * 7) % 60),
            "",
            False,
            "api",
            f"{reporter}-{service.pk}-{m}-{i}"[:32],
            False,
            subdivision,
        )
        for m in range(minutes)
        for i in range(per_minute)
    ]
    return insert_many(Report._meta.db_table, COLUMNS, rows)
