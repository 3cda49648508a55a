"""Scoring spikes against ground truth (lab/evaluate.py) and the reference rule.

Pure: no Django. Hand-made truth and spikes, so each figure can be checked by eye.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from lab.evaluate import evaluate, main, markdown_table
from lab.reference_rule import Reports, load_reports, reference_spikes

START = datetime(2025, 1, 6, tzinfo=UTC)


def at(day: float, hour: float = 0, minute: float = 0) -> str:
    return (START + timedelta(days=day, hours=hour, minutes=minute)).isoformat().replace("+00:00", "Z")


def spike(service, detected, ended, region=None, started=None, **extra):
    return {
        "service": service,
        "region": region,
        "level": "warning",
        "started_at": started or detected,
        "detected_at": detected,
        "peak_at": detected,
        "ended_at": ended,
        "peak_reports": 50,
        "expected_reports": 5,
        "problems": extra.pop("problems", {}),
        "regions": extra.pop("regions", {}),
        "incident": None,
        **extra,
    }


TRUTH = {
    "start": at(0),
    "end": at(21),
    "warmup_until": at(14),  # one evaluated week
    "services": ["alpha", "beta"],
    "outages": [
        {
            "id": "o1",
            "kind": "global",
            "service": "alpha",
            "region": None,
            "group": None,
            "started_at": at(15, 10),
            "ended_at": at(15, 11),
            "problems": [],
            "expected_detect": True,
        },
        {
            "id": "o2",
            "kind": "regional",
            "service": "beta",
            "region": "GB",
            "group": None,
            "started_at": at(16, 12),
            "ended_at": at(16, 12, 30),
            "problems": [],
            "expected_detect": True,
        },
        {
            "id": "o3",
            "kind": "partial",
            "service": "alpha",
            "region": None,
            "group": None,
            "started_at": at(17, 8),
            "ended_at": at(17, 9),
            "problems": ["login"],
            "expected_detect": True,
        },
        {
            "id": "o4",
            "kind": "short",
            "service": "beta",
            "region": None,
            "group": None,
            "started_at": at(18, 8),
            "ended_at": at(18, 8, 12),
            "problems": [],
            "expected_detect": True,
        },
    ],
    "sympathetic": [
        {
            "id": "s1",
            "kind": "sympathetic",
            "service": "beta",
            "region": "US",
            "started_at": at(15, 10),
            "ended_at": at(15, 11),
            "related_to": "o1",
        },
    ],
    "must_not_fire": [
        {
            "id": "b1",
            "kind": "bombing",
            "service": "beta",
            "region": "US",
            "started_at": at(19, 3),
            "ended_at": at(19, 4),
        },
        {
            "id": "g1",
            "kind": "intake_gap",
            "service": None,
            "region": None,
            "started_at": at(20, 5),
            "ended_at": at(20, 5, 40),
        },
    ],
}

SPIKES = [
    # o1, seen on the all-regions series and on a region: one detection, 2 minutes in.
    spike("alpha", at(15, 10, 2), at(15, 11, 5), started=at(15, 10, 1)),
    spike("alpha", at(15, 10, 4), at(15, 11, 20), region="US"),
    # s1: flagged and labelled as possibly related.
    spike("beta", at(15, 10, 6), at(15, 10, 50), region="US", related_to="o1"),
    # o2: found on its region's series, 4 minutes in.
    spike("beta", at(16, 12, 4), at(16, 12, 40), region="GB"),
    # o3: found, but the wrong problem on top.
    spike("alpha", at(17, 8, 3), at(17, 9), problems={"app": 0.6, "login": 0.3}),
    # o4 missed. A false alarm, seen on two series at once: counted once.
    spike("alpha", at(18, 20), at(18, 20, 30)),
    spike("alpha", at(18, 20, 1), at(18, 20, 25), region="US"),
    # Fired on the bombing, and after the intake gap: both false alarms too.
    spike("beta", at(19, 3, 20), at(19, 3, 50), region="US"),
    spike("alpha", at(20, 5, 45), at(20, 6)),
    # During the warm-up: not scored as a false alarm.
    spike("beta", at(3), at(3, 1)),
]


def test_it_counts_detected_and_missed_outages():
    m = evaluate(TRUTH, SPIKES)
    assert (m["outages"], m["detected"], m["recall"]) == (4, 3, 0.75)
    assert m["missed"] == ["o4"]
    assert m["recall_by_kind"]["short"] == {"n": 1, "ok": 0, "share": 0.0}


def test_it_measures_the_delay_from_onset_to_detection_and_the_duration_error():
    m = evaluate(TRUTH, SPIKES)
    delays = {r["id"]: r["delay_min"] for r in m["per_outage"]}
    assert delays == {"o1": 2.0, "o2": 4.0, "o3": 3.0, "o4": None}
    assert m["delay_minutes"]["median"] == 3.0
    errors = {r["id"]: r["duration_error_min"] for r in m["per_outage"]}
    assert errors["o1"] == 5.0  # the all-regions series detected first; it ended 5 min late
    assert errors["o2"] == 10.0


def test_false_alarms_are_per_service_week_and_overlapping_series_count_once():
    m = evaluate(TRUTH, SPIKES)
    assert m["false_alarms"] == 3  # the double one, the bombing one, the one after the gap
    assert m["service_weeks"] == 2.0
    assert m["false_alarms_per_service_week"] == 1.5


def test_spikes_on_bombing_and_after_an_intake_gap_are_counted():
    m = evaluate(TRUTH, SPIKES)
    assert m["bombing_spikes"] == 1
    assert m["intake_gap_spikes"] == 1


def test_regions_problems_and_sympathetic_labels_are_checked():
    m = evaluate(TRUTH, SPIKES)
    assert m["regional_right_region"] == {"n": 1, "ok": 1, "share": 1.0}
    assert m["partial_right_problems"] == {"n": 1, "ok": 0, "share": 0.0}
    assert m["sympathetic"] == {"n": 1, "flagged": 1, "labelled_related": 1}


def test_an_all_regions_spike_led_by_the_region_detects_a_regional_outage_leniently():
    spikes = [spike("beta", at(16, 12, 3), at(16, 12, 35), regions={"GB": 0.8, "US": 0.2})]
    m = evaluate(TRUTH, spikes)
    o2 = next(r for r in m["per_outage"] if r["id"] == "o2")
    assert o2["detected"] and not o2["detected_strict"]
    assert m["false_alarms"] == 0  # an all-regions spike during a regional outage is explained
    led_by_us = [spike("beta", at(16, 12, 3), at(16, 12, 35), regions={"US": 0.8, "GB": 0.2})]
    assert not evaluate(TRUTH, led_by_us)["per_outage"][1]["detected"]


def test_a_detection_after_the_grace_period_does_not_count():
    late = [spike("alpha", at(15, 11, 11), at(15, 11, 30))]
    m = evaluate(TRUTH, late)
    assert m["per_outage"][0]["detected"] is False
    assert m["false_alarms"] == 0  # but it is about the outage's tail, not a false alarm


def _reports(events: list[tuple[int, str, str, str]], days: int = 8) -> Reports:
    """Reports from (minute, service, region, reporter) tuples."""
    minute, service, region, reporter = (list(x) for x in zip(*events))
    code = lambda values: np.unique(values, return_inverse=True)  # noqa: E731
    (sv, si), (rv, ri), (_, pi) = code(service), code(region), code(reporter)
    return Reports(
        START,
        np.array(minute),
        si,
        ri,
        np.zeros(len(minute), dtype=np.int32),
        pi,
        list(sv),
        list(rv),
        ["app"],
    )


def test_the_reference_rule_flags_three_times_the_median_of_the_same_minute():
    events = []
    for day in range(8):  # two people report at 10:00-10:04 every day...
        for m in range(600, 605):
            events += [(day * 1440 + m, "alpha", "US", f"u{day}-{m}-{k}") for k in range(2)]
    for m in range(600, 604):  # ...but on day 7 ten do, from 10:00 to 10:03
        events += [(7 * 1440 + m, "alpha", "US", f"x{m}-{k}") for k in range(8)]
    # One person hammering the button counts once: 7 reports, 1 reporter, no spike.
    events += [(7 * 1440 + 900, "alpha", "US", "bomber")] * 7 + [
        (d * 1440 + 900, "alpha", "US", f"n{d}") for d in range(7)
    ]
    spikes = reference_spikes(_reports(sorted(events)), minutes=8 * 1440)
    assert {(s["service"], s["region"]) for s in spikes} == {("alpha", ""), ("alpha", "US")}
    s = spikes[0]
    assert s["started_at"] == at(7, 10) and s["detected_at"] == at(7, 10, 1)
    assert s["ended_at"] == at(7, 10, 4) and s["peak_reports"] == 10 and s["expected_reports"] == 2
    assert s["regions"] == {"US": 1.0} and s["problems"] == {"app": 1.0}


def test_the_reference_rule_merges_flagged_minutes_closer_than_the_gap():
    events = [(7 * 1440 + m, "alpha", "GB", f"r{m}") for m in (100, 104, 115)]
    spikes = reference_spikes(_reports(events), minutes=8 * 1440)
    regional = [s for s in spikes if s["region"] == "GB"]
    assert [(s["started_at"], s["ended_at"]) for s in regional] == [
        (at(7, 1, 40), at(7, 1, 45)),
        (at(7, 1, 55), at(7, 1, 56)),
    ]


def test_the_cli_reads_a_csv_and_prints_both_rows(tmp_path, capsys):
    rows = ["created_at,service,region,problem,reporter"]
    rows += [f"{at(d, 10)},alpha,US,login,u{d}" for d in range(15)]
    rows += [f"{at(15, 10, 1)},alpha,US,login,x{k}" for k in range(6)]
    (tmp_path / "reports.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    (tmp_path / "spikes.json").write_text(json.dumps(SPIKES))
    loaded = load_reports(tmp_path / "reports.csv")
    assert loaded.start == START and loaded.minute[-1] == 15 * 1440 + 601
    main(
        [
            "--truth",
            str(tmp_path / "truth.json"),
            "--spikes",
            str(tmp_path / "spikes.json"),
            "--reports",
            str(tmp_path / "reports.csv"),
            "--reference",
            "--json",
            str(tmp_path / "m.json"),
        ]
    )
    out = capsys.readouterr().out
    assert "| metric | detector | reference (3x median) | target |" in out
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["reference (3x median)"]["per_outage"][0]["delay_min"] == 2.0
    assert markdown_table({"x": metrics["detector"]}).count("\n") > 10


def test_a_spike_on_a_traffic_surge_is_a_false_alarm_and_a_campaign_may_only_warn():
    truth = {
        **TRUTH,
        "outages": [],
        "sympathetic": [],
        "must_not_fire": [],
        "surges": [
            {"id": "h1", "kind": "holiday", "service": "alpha", "region": "JP"}
            | {"started_at": at(16, 15), "ended_at": at(16, 15, 45)},
        ],
        "campaigns": [
            {"id": "c1", "kind": "campaign", "service": "beta", "region": "GB", "max_level": "warning"}
            | {"started_at": at(17, 2), "ended_at": at(17, 3)},
        ],
    }
    spikes = [
        spike("alpha", at(16, 15, 3), at(16, 15, 30), region="JP"),
        spike("beta", at(17, 2, 20), at(17, 3, 10), region="GB"),
        spike("beta", at(17, 2, 30), at(17, 3, 20), level="danger"),
    ]
    m = evaluate(truth, spikes)
    assert m["false_alarms"] == 1  # the surge; campaign spikes are counted on their own line
    assert m["surges"] == {"n": 1, "spikes": 1, "danger": 0}
    assert m["campaigns"] == {"n": 1, "spikes": 2, "danger": 1}
    table = markdown_table({"detector": m})
    assert "| traffic surges: false alarms, at danger | 1, 0 (1 surges) |" in table
    assert "| campaigns: spikes, at danger | 2, 1 of 1 | -, 0 |" in table
