"""python manage.py simulate --out DIR [--seed N] [--weeks W] [--scale S]

Writes DIR/reports.csv (created_at,service,region,problem,reporter) and
DIR/truth.json (the outages it injected, and the events that must raise nothing),
for `backtest` and lab/evaluate.py.
"""

import csv
import math
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lab.simulation import CSV_HEADER, SimulationConfig, simulate, write_truth_json


class Command(BaseCommand):
    help = "Simulate six weeks of problem reports with injected outages, and their ground truth."

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", type=Path, required=True, help="directory for reports.csv and truth.json"
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="same seed, same reports (default %(default)s)"
        )
        parser.add_argument("--weeks", type=float, default=6, help="default %(default)s")
        parser.add_argument("--scale", type=float, default=1.0, help="multiplies every service's volume")

    def handle(self, *args, out: Path, seed: int, weeks: float, scale: float, **options):
        if weeks < 3:
            raise CommandError("--weeks must be at least 3: two weeks of warm-up come before any outage.")
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        out.mkdir(parents=True, exist_ok=True)
        sim = simulate(SimulationConfig(weeks=weeks, scale=scale), seed=seed)
        rows = 0
        with (out / "reports.csv").open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CSV_HEADER)
            for chunk in tqdm(
                sim.chunks(), total=math.ceil(weeks * 7), unit="day", file=sys.stderr, mininterval=1
            ):
                writer.writerows(zip(*chunk.columns()))
                rows += len(chunk)
        write_truth_json(sim, out / "truth.json")
        truth = sim.truth()
        self.stdout.write(
            f"{rows} reports, {len(truth['outages'])} outages, {len(truth['must_not_fire'])} "
            f"must-not-fire events -> {out}/reports.csv, {out}/truth.json"
        )
