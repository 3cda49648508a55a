"""python manage.py backtest REPORTS.csv --out SPIKES.json
python manage.py backtest --series FILE.csv --out FLAGS.csv

The first replays a reports CSV through the live counting, baseline and detection
code on a simulated clock, in a throwaway SQLite database of its own (a child
process is started with DATABASE_URL pointing at it, so live data cannot be
touched), and writes the spikes it found as JSON. The second runs the detector on
one count series (timestamp,value) at the file's own interval.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from lab import backtest
from spikes.detection import detect_series

ISOLATION_ENV = "OUTAGEWATCH_BACKTEST_DB"


class Command(BaseCommand):
    help = "Replay reports (or one count series) through the detector and write what it flags."

    def add_arguments(self, parser):
        parser.add_argument(
            "reports", nargs="?", type=Path, help="reports CSV: created_at,service,region,problem,reporter"
        )
        parser.add_argument("--series", type=Path, help="one series CSV: timestamp,value")
        parser.add_argument("--out", type=Path, required=True, help="SPIKES.json, or FLAGS.csv with --series")
        parser.add_argument(
            "--pass-minutes",
            type=int,
            default=60,
            help="write to the database every N simulated minutes (the detector still decides every minute; default %(default)s)",
        )
        parser.add_argument(
            "--keep-db", action="store_true", help="keep the throwaway database and print its path"
        )

    def handle(self, *args, **options):
        if options["series"]:
            return self._series(options["series"], options["out"])
        if not options["reports"]:
            raise CommandError(
                "Give a reports CSV (backtest REPORTS.csv --out SPIKES.json) or --series FILE.csv."
            )
        if not options["reports"].is_file():
            raise CommandError(f"No file at {options['reports']}.")
        if os.environ.get(ISOLATION_ENV):
            return self._replay_here(options)
        return self._replay_in_isolation(options)

    # --- one series --------------------------------------------------------------
    def _series(self, path: Path, out: Path) -> None:
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            if not {"timestamp", "value"} <= set(reader.fieldnames or []):
                raise CommandError(f"{path} must have the header timestamp,value.")
            rows = list(reader)
        try:
            values = [float(r["value"]) if r["value"].strip() else math.nan for r in rows]
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from None
        flagged = detect_series([r["timestamp"] for r in rows], values)
        with out.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "is_spike", "level", "expected"])
            for row, flag in zip(rows, flagged):
                expected = "" if math.isnan(flag["expected"]) else f"{flag['expected']:.3f}"
                writer.writerow([row["timestamp"], row["value"], flag["is_spike"], flag["level"], expected])
        opened = sum(f["is_spike"] for f in flagged)
        self.stdout.write(f"{len(rows)} rows, {opened} spike(s) opened -> {out}")

    # --- reports -------------------------------------------------------------------
    def _replay_in_isolation(self, options) -> None:
        workdir = Path(tempfile.mkdtemp(prefix="outagewatch-backtest-"))
        database = workdir / "backtest.sqlite3"
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(
            {
                ISOLATION_ENV: str(database),
                "DATABASE_URL": f"sqlite:///{database}",
                "DATA_DIR": str(workdir),
                "CATALOG_CACHE_SECONDS": "3600",
            }
        )
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "backtest",
            str(options["reports"]),
        ]
        command += ["--out", str(options["out"]), "--pass-minutes", str(options["pass_minutes"])]
        result = subprocess.run(command, env=env)
        if options["keep_db"]:
            self.stdout.write(f"backtest database kept at {database}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if result.returncode:
            raise CommandError(f"the backtest failed (exit code {result.returncode})")

    def _replay_here(self, options) -> None:
        database = os.environ[ISOLATION_ENV]
        if str(settings.DATABASES["default"]["NAME"]) != database:
            raise CommandError("refusing to run: the backtest database is not the throwaway one")
        started = time.monotonic()
        with connection.cursor() as cursor:
            # A throwaway database: durability buys nothing here.
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("load_catalog", stdout=quiet)
        path: Path = options["reports"]
        size = path.stat().st_size
        with tqdm(
            total=size, unit="B", unit_scale=True, desc="import", file=sys.stderr, mininterval=2
        ) as bar:
            per_row = max(1, size // max(1, sum(1 for _ in path.open()) - 1))
            try:
                count, first, last = backtest.import_reports(path, progress=lambda n: bar.update(n * per_row))
            except backtest.BadReportsFile as exc:
                raise CommandError(str(exc)) from None
            bar.update(size - bar.n)
        minutes = int((last + backtest.TAIL - first).total_seconds() // 60)
        with tqdm(total=minutes, unit="min", desc="replay", file=sys.stderr, mininterval=2) as bar:
            backtest.replay(first, last, pass_minutes=options["pass_minutes"], progress=bar.update)
        spikes = backtest.export_spikes()
        options["out"].write_text(json.dumps(spikes, indent=1))
        self.stdout.write(
            f"{count} reports, {len(spikes)} spike(s) -> {options['out']} in {time.monotonic() - started:.0f} s"
        )
