"""Score a detector's spikes against the simulator's ground truth.

    python -m lab.evaluate --truth truth.json --spikes spikes.json \
        [--reports reports.csv --reference] [--json metrics.json]

Spikes are read in their one JSON form (spikes.models.Spike.as_json: what the
partner API and the webhooks send, and what `manage.py backtest` and the harness
write; region "" is all regions). Pure Python (no Django). `--reference` also runs the plain rule (three times the
median of the same minute over the previous seven days, lab/reference_rule.py)
on the reports and prints both side by side.

Matching rules (documented here because the figures depend on them):

* An outage is detected by a spike on its service whose `detected_at` lies in
  [started_at, ended_at + 10 min]. For an outage without a region, a spike on any
  series of the service counts. For a regional outage, "strict" needs a spike on
  that region's series; "lenient" also accepts an all-regions spike whose
  `regions` breakdown puts that region on top. Headline recall is lenient.
* Delay: minutes from started_at to the earliest matching detected_at.
* Duration error: |ended_at of the matching spikes on the first-detecting series
  - true ended_at|, minutes (spikes still open at the end are left out).
* A spike is explained when, on the outage's service (any series for a global
  outage; the all-regions or that region's series for a regional one), it overlaps
  [started_at, ended_at + 30 min] of an outage, or likewise of a sympathetic event.
  So the all-regions and region spikes of one outage all count as matched.
* False alarms: unexplained spikes raised after the warm-up, counted once per
  service where spikes of several series overlap in time, divided by
  service-weeks = services x weeks after the warm-up.
* Bombing / intake-gap spikes: spikes overlapping the event (+30 min after a
  bombing on that service and region; +60 min after an intake gap on any service).
* Traffic surges (New Year's Eve, a match, a curiosity surge: the service is up)
  explain nothing: a spike on one is a false alarm, also counted on its own line
  (and how many of those reached "problems detected").
* Campaigns (dozens of fake reporters, several reports each): a spike overlapping
  one (+30 min, that service and region) may say "possible problems"; one that
  reaches "problems detected" (danger) is a failure, counted on its own line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lab.reference_rule import load_reports, reference_spikes  # noqa: E402

GRACE_MIN = 10  # a detection up to 10 min after the fix still counts (reports lag)
TAIL_MIN = 30  # reports decay after the fix: spikes overlapping this are not false
GAP_TAIL_MIN = 60


def _t(value: Any) -> float | None:
    """Unix seconds from an ISO 8601 string (with Z or offset), a datetime or None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.timestamp()


class _Spike:
    __slots__ = ("raw", "service", "region", "detected", "start", "end", "top_region")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.service = raw["service"]
        self.region = raw.get("region") or None  # "" (Spike.as_json) or None: all regions
        self.detected = _t(raw.get("detected_at")) or _t(raw["started_at"])
        self.start = min(_t(raw.get("started_at")) or self.detected, self.detected)
        self.end = _t(raw.get("ended_at"))  # None: still open when the backtest stopped
        regions = raw.get("regions") or {}
        self.top_region = max(regions, key=regions.get) if regions else None

    def overlaps(self, a: float, b: float) -> bool:
        end = self.end if self.end is not None else float("inf")
        return self.start <= b and a <= end

    def top_problems(self, k: int) -> set[str]:
        problems = self.raw.get("problems") or {}
        return set(sorted(problems, key=lambda p: (-problems[p], p))[:k])


def _region_ok(event_region: str | None, spike: _Spike) -> bool:
    """Can this spike be about an event in `event_region` (None: all regions)?"""
    return event_region is None or spike.region in (None, event_region)


def _quantile(values: list[float], q: float) -> float | None:
    return round(float(np.quantile(values, q)), 2) if values else None


def evaluate(truth: dict[str, Any], spikes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Recall, false alarms, delays etc. of `spikes` against the simulator's `truth`."""
    all_spikes = [_Spike(s) for s in spikes]
    by_service: dict[str, list[_Spike]] = {}
    for sp in all_spikes:
        by_service.setdefault(sp.service, []).append(sp)
    outages = truth.get("outages", [])
    warm = _t(truth.get("warmup_until")) or _t(truth.get("start")) or 0.0
    end = _t(truth.get("end"))

    per_outage = []
    for o in outages:
        a, b = _t(o["started_at"]), _t(o["ended_at"])
        window = [sp for sp in by_service.get(o["service"], []) if a <= sp.detected <= b + GRACE_MIN * 60]
        if o.get("region"):
            strict = [sp for sp in window if sp.region == o["region"]]
            lenient = strict + [sp for sp in window if sp.region is None and sp.top_region == o["region"]]
        else:
            strict = lenient = window
        row: dict[str, Any] = {
            "id": o["id"],
            "kind": o["kind"],
            "service": o["service"],
            "region": o.get("region"),
            "detected": bool(lenient),
            "detected_strict": bool(strict),
            "delay_min": None,
            "duration_error_min": None,
            "problems_ok": None,
        }
        if lenient:
            first = min(lenient, key=lambda sp: sp.detected)
            row["delay_min"] = round((first.detected - a) / 60, 2)
            ends = [sp.end for sp in lenient if sp.region == first.region and sp.end is not None]
            if ends:
                row["duration_error_min"] = round(abs(max(ends) - b) / 60, 2)
            if o["kind"] == "partial" and o.get("problems"):
                # The all-regions view is what a user sees first; fall back to a region's.
                best = min(lenient, key=lambda sp: (sp.region is not None, sp.detected))
                row["problems_ok"] = best.top_problems(len(o["problems"])) == set(o["problems"])
        per_outage.append(row)

    def explained(sp: _Spike, events: list[dict[str, Any]]) -> dict[str, Any] | None:
        for ev in events:
            if (
                ev["service"] == sp.service
                and _region_ok(ev.get("region"), sp)
                and sp.overlaps(_t(ev["started_at"]), _t(ev["ended_at"]) + TAIL_MIN * 60)
            ):
                return ev
        return None

    sympathetic = truth.get("sympathetic", [])
    quiet = truth.get("must_not_fire", [])
    bombs = [e for e in quiet if e["kind"] == "bombing"]
    gaps = [e for e in quiet if e["kind"] == "intake_gap"]
    surges, campaigns = truth.get("surges", []), truth.get("campaigns", [])
    unexplained: dict[str, list[_Spike]] = {}
    symp_flagged: dict[str, bool] = {}
    bombing_spikes = gap_spikes = 0
    surge_spikes: list[_Spike] = []
    campaign_spikes: list[_Spike] = []
    for sp in all_spikes:
        if explained(sp, bombs):
            bombing_spikes += 1
        if any(sp.overlaps(_t(g["started_at"]), _t(g["ended_at"]) + GAP_TAIL_MIN * 60) for g in gaps):
            gap_spikes += 1
        if explained(sp, outages):
            continue
        if explained(sp, campaigns):
            campaign_spikes.append(sp)
            continue
        if explained(sp, surges) and sp.detected >= warm:
            surge_spikes.append(sp)
        ev = explained(sp, sympathetic)
        if ev is not None:
            labelled = bool(sp.raw.get("related_to"))
            symp_flagged[ev["id"]] = symp_flagged.get(ev["id"], False) or labelled
            continue
        if sp.detected >= warm:
            unexplained.setdefault(sp.service, []).append(sp)

    # Overlapping unexplained spikes of one service (all-regions + a region) are one alarm.
    false_alarms = 0
    for group in unexplained.values():
        group.sort(key=lambda sp: sp.start)
        reach = -np.inf
        for sp in group:
            if sp.start > reach:
                false_alarms += 1
            reach = max(reach, sp.end if sp.end is not None else np.inf)
    n_services = len(truth.get("services") or {sp.service for sp in all_spikes} or {""})
    weeks = max(((end or warm) - warm) / (7 * 86400), 1e-9)
    service_weeks = n_services * weeks

    def share(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
        ok = sum(1 for r in rows if r[key])
        return {"n": len(rows), "ok": ok, "share": round(ok / len(rows), 4) if rows else None}

    kinds = sorted({o["kind"] for o in outages})
    delays = [r["delay_min"] for r in per_outage if r["delay_min"] is not None]
    errors = [r["duration_error_min"] for r in per_outage if r["duration_error_min"] is not None]
    regional = [r for r in per_outage if r["region"]]
    partial = [r for r in per_outage if r["kind"] == "partial"]
    return {
        "outages": len(outages),
        "detected": sum(r["detected"] for r in per_outage),
        "recall": share(per_outage, "detected")["share"],
        "recall_strict": share(per_outage, "detected_strict")["share"],
        "recall_by_kind": {k: share([r for r in per_outage if r["kind"] == k], "detected") for k in kinds},
        "spikes": len(all_spikes),
        "false_alarms": false_alarms,
        "service_weeks": round(service_weeks, 2),
        "false_alarms_per_service_week": round(false_alarms / service_weeks, 4),
        "delay_minutes": {
            "median": _quantile(delays, 0.5),
            "p90": _quantile(delays, 0.9),
            "max": max(delays) if delays else None,
        },
        "duration_error_minutes": {"median": _quantile(errors, 0.5), "p90": _quantile(errors, 0.9)},
        "bombing_spikes": bombing_spikes,
        "intake_gap_spikes": gap_spikes,
        "regional_right_region": share(regional, "detected_strict"),
        "partial_right_problems": share([r for r in partial if r["detected"]], "problems_ok"),
        "sympathetic": {
            "n": len(sympathetic),
            "flagged": len(symp_flagged),
            "labelled_related": sum(symp_flagged.values()),
        },
        "surges": {
            "n": len(surges),
            "spikes": len(surge_spikes),
            "danger": sum(sp.raw.get("level") == "danger" for sp in surge_spikes),
        },
        "campaigns": {
            "n": len(campaigns),
            "spikes": len(campaign_spikes),
            "danger": sum(sp.raw.get("level") == "danger" for sp in campaign_spikes),
        },
        "missed": [r["id"] for r in per_outage if not r["detected"]],
        "per_outage": per_outage,
    }


# -- report ------------------------------------------------------------------

TARGETS = {
    "recall": ">= 0.95",
    "false alarms / service-week": "<= 0.1",
    "delay median (min)": "<= 3",
    "bombing spikes": "0",
    "intake-gap spikes": "0",
    "regional: right region": "all",
    "partial: right problems": "all",
    "campaigns: spikes, at danger": "-, 0",
}


def _rows(m: dict[str, Any]) -> dict[str, str]:
    def frac(d: dict[str, Any]) -> str:
        return f"{d['ok']}/{d['n']}" if d["n"] else "-"

    rows = {
        "outages detected": f"{m['detected']}/{m['outages']}",
        "recall": f"{m['recall']}",
        "recall (strict region)": f"{m['recall_strict']}",
    }
    for kind, d in m["recall_by_kind"].items():
        rows[f"recall: {kind}"] = frac(d)
    rows.update(
        {
            "spikes": str(m["spikes"]),
            "false alarms": str(m["false_alarms"]),
            "false alarms / service-week": f"{m['false_alarms_per_service_week']:.3f}",
            "delay median (min)": str(m["delay_minutes"]["median"]),
            "delay p90 (min)": str(m["delay_minutes"]["p90"]),
            "duration error median (min)": str(m["duration_error_minutes"]["median"]),
            "bombing spikes": str(m["bombing_spikes"]),
            "intake-gap spikes": str(m["intake_gap_spikes"]),
            "regional: right region": frac(m["regional_right_region"]),
            "partial: right problems": frac(m["partial_right_problems"]),
            "sympathetic: flagged, labelled related": f"{m['sympathetic']['flagged']}, "
            f"{m['sympathetic']['labelled_related']} of {m['sympathetic']['n']}",
        }
    )
    if m.get("surges", {}).get("n"):
        rows["traffic surges: false alarms, at danger"] = (
            f"{m['surges']['spikes']}, {m['surges']['danger']} ({m['surges']['n']} surges)"
        )
    if m.get("campaigns", {}).get("n"):
        rows["campaigns: spikes, at danger"] = (
            f"{m['campaigns']['spikes']}, {m['campaigns']['danger']} of {m['campaigns']['n']}"
        )
    return rows


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    """One column per scored set of spikes (e.g. detector, reference), plus the target."""
    names = list(results)
    table = {name: _rows(m) for name, m in results.items()}
    lines = ["| metric | " + " | ".join(names) + " | target |", "|---" * (len(names) + 2) + "|"]
    for metric in table[names[0]]:
        cells = [table[n].get(metric, "") for n in names]
        lines.append(f"| {metric} | " + " | ".join(cells) + f" | {TARGETS.get(metric, '')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score spikes against simulated ground truth.")
    parser.add_argument("--truth", required=True, type=Path)
    parser.add_argument("--spikes", type=Path, help="the backtest's spikes JSON")
    parser.add_argument("--reports", type=Path, help="the reports CSV (for --reference)")
    parser.add_argument("--reference", action="store_true", help="also score the 3x-median rule")
    parser.add_argument(
        "--min-count",
        type=int,
        default=1,
        help="reference rule: fewest distinct reporters in a flagged minute",
    )
    parser.add_argument("--json", type=Path, help="write all metrics to this file")
    parser.add_argument("--details", action="store_true", help="list each outage's outcome")
    args = parser.parse_args(argv)
    truth = json.loads(args.truth.read_text())
    results: dict[str, dict[str, Any]] = {}
    if args.spikes:
        results["detector"] = evaluate(truth, json.loads(args.spikes.read_text()))
    if args.reference:
        if not args.reports:
            parser.error("--reference needs --reports")
        start = datetime.fromisoformat(truth["start"].replace("Z", "+00:00"))
        minutes = int((_t(truth["end"]) - start.timestamp()) // 60)
        spikes = reference_spikes(load_reports(args.reports, start), minutes, min_count=args.min_count)
        name = "reference (3x median)" + (f", >= {args.min_count}" if args.min_count > 1 else "")
        results[name] = evaluate(truth, spikes)
    if not results:
        parser.error("nothing to score: give --spikes and/or --reference")
    print(markdown_table(results))
    if args.details:
        for name, m in results.items():
            print(f"\n{name}:")
            for r in m["per_outage"]:
                print(
                    f"  {r['id']} {r['kind']:8} {r['service']:20} {r['region'] or '*':3} "
                    f"detected={r['detected']} delay={r['delay_min']} err={r['duration_error_min']}"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
