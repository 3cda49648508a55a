"""The live pass and the Django-free harness run one detection policy: on the same
reports they take the same decisions, to the minute and to the reporter."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lab import backtest, harness
from spikes.detection.policy import DEFAULT, Checks

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
DAYS = 2.5
PASS_MINUTES = 60
GAP = range(int(1.5 * 1440), int(1.5 * 1440) + 15)  # the intake down, at the day's busiest


def reports() -> list[tuple[str, str, str, str, str]]:
    """acme in Germany all along; in France from day 1 (its first day leans on the
    service's profile). An outage in each, an intake gap and one person reporting
    again and again."""
    rng = np.random.default_rng(7)
    rows = []

    def add(minute: int, region: str, reporter: str, problem: str = "login") -> None:
        at = START + timedelta(minutes=minute, seconds=int(rng.integers(60)))
        rows.append((at.strftime("%Y-%m-%dT%H:%M:%SZ"), "acme", region, problem, reporter))

    for minute in range(int(DAYS * 1440)):
        if minute in GAP:
            continue  # the intake was down: nobody could report
        hour = minute % 1440 / 60
        usual = 2.0 + 1.5 * np.sin((hour - 6) / 24 * 2 * np.pi)
        de = usual + (35 if 1.4 * 1440 <= minute < 1.4 * 1440 + 40 else 0)
        fr = usual / 2 + (30 if 2.2 * 1440 <= minute < 2.2 * 1440 + 30 else 0)
        for k in range(rng.poisson(de)):
            add(minute, "DE", f"de-{minute}-{k}", "uploads" if de > 10 and k % 3 else "login")
        if minute >= 1440:
            for k in range(rng.poisson(fr)):
                add(minute, "FR", f"fr-{minute}-{k}")
        if 1.3 * 1440 <= minute < 1.3 * 1440 + 60:
            add(minute, "DE", "the-same-person")
    return sorted(rows)


def comparable(spike: dict) -> tuple:
    return (
        spike["service"],
        spike["region"],
        spike["level"],
        spike["verdict"],
        spike["started_at"],
        spike["detected_at"],
        spike["peak_at"],
        spike["ended_at"],
        spike["peak_reports"],
        spike["expected_reports"],
        spike["problems"],
        spike["regions"],
    )


@pytest.mark.django_db(transaction=True)
def test_the_live_pass_and_the_harness_decide_the_same_on_the_same_reports(tmp_path):
    path = tmp_path / "reports.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(backtest.HEADER)
        writer.writerows(reports())

    # Live: the database, the counting, the passes and the refits, on a simulated clock.
    _, first, last = backtest.import_reports(path)
    backtest.replay(first, last, pass_minutes=PASS_MINUTES)
    live = backtest.export_spikes()

    # The harness: the same reports in numpy, refits checked after every pass as above.
    start = first.replace(second=0).timestamp()
    minutes = int((last + backtest.TAIL).replace(second=0).timestamp() - start) // 60
    checks = Checks(origin=start + 60, every=60 * PASS_MINUTES, end=start + 60 * minutes)
    data = harness.load(path, start, minutes, DEFAULT, checks)
    fits = harness.baselines(data, DEFAULT, checks, procs=1, cache=None, key="", utc=False)
    replayed = harness.detect_all(data, fits, DEFAULT, procs=1)

    assert data.gaps[GAP].all() and data.repeat.sum() >= 55
    assert {(s["region"], s["level"] != "") for s in live} >= {("", True), ("DE", True), ("FR", True)}
    assert sorted(map(comparable, replayed)) == sorted(map(comparable, live))
