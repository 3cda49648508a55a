"""python manage.py demo seed [--reset] [--days 8] [--scale 0.5]
python manage.py demo feed --url http://127.0.0.1:8000 [--outage-in 5]

`seed` stores days of simulated history in the site's database and replays them
through the real counting, baselines and detector, so the archive, spikes,
incidents and baselines exist when the site opens (about a minute on SQLite). It
resumes a demo of its own that is still current, and refuses a database holding
anything else unless told --reset. `feed` then posts the same world's reports as
they happen to the running site, through its API and its report form, with a
Meta outage a few minutes after it starts. `python3 dev.py run --demo` runs both.
See docs/demo.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from lab.demo import feeder
from lab.demo.narration import SpikeWatch, briefing, outage_lines, waiting_lines
from lab.demo.plan import (
    DEFAULT_DAYS,
    DEFAULT_SCALE,
    DEFAULT_SEED,
    LIVE_PROBLEMS,
    DemoPlan,
    LiveOutage,
    live_outage,
)
from lab.demo.seed import Refused, check, seed, wipe
from lab.models import DemoRun
from lab.simulation_catalog import REGIONS
from spikes.models import Spike


class Command(BaseCommand):
    help = "Seed simulated history through the real pipeline, or feed live reports to a running site."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{seed,feed}")
        seeding = actions.add_parser("seed", help="store and replay days of simulated history")
        seeding.add_argument(
            "--reset",
            action="store_true",
            help="first delete every report, count, spike and incident (the catalog, accounts and keys stay)",
        )
        seeding.add_argument(
            "--days", type=float, default=DEFAULT_DAYS, help="days of history (default %(default)s)"
        )
        seeding.add_argument(
            "--scale",
            type=float,
            default=DEFAULT_SCALE,
            help="times the simulator's volumes (default %(default)s)",
        )
        seeding.add_argument("--seed", type=int, default=DEFAULT_SEED, help="same seed, same world")
        feeding = actions.add_parser("feed", help="post live reports to a running site")
        feeding.add_argument("--url", default="http://127.0.0.1:8000", help="the site (default %(default)s)")
        feeding.add_argument(
            "--outage-in", type=float, default=5, help="minutes until the live outage (default %(default)s)"
        )
        feeding.add_argument(
            "--outage-minutes", type=float, default=25, help="how long it lasts (default %(default)s)"
        )
        feeding.add_argument("--no-outage", action="store_true", help="only the usual reports")
        feeding.add_argument(
            "--countries",
            help="where the outage is, e.g. US,GB,IN (default: where most Meta users are awake)",
        )
        feeding.add_argument(
            "--form-share",
            type=float,
            default=0.15,
            help="share of the reports sent through the HTML form (default %(default)s)",
        )
        feeding.add_argument("--minutes", type=float, help="stop after this many minutes (default: never)")
        feeding.add_argument("--settle", type=float, default=4, help=argparse.SUPPRESS)

    def handle(self, *args, action: str, **options):
        if action == "seed":
            return self._seed(options)
        return self._feed(options)

    def _seed(self, options) -> None:
        if not 1 <= options["days"] <= 28:
            raise CommandError("--days must be between 1 and 28 (a baseline needs a day; it uses 28).")
        if not 0 < options["scale"] <= 10:
            raise CommandError("--scale must be above 0 and at most 10.")
        now = timezone.now()
        if options["reset"]:
            wipe()
            self.stdout.write("Deleted every report, count, spike and incident.")
        try:
            plan = check(now)
        except Refused as exc:
            raise CommandError(str(exc)) from None
        if plan is not None:
            run = DemoRun.objects.first()
            self.stdout.write(
                f"Resuming the demo seeded on {run.seeded_at.astimezone():%Y-%m-%d %H:%M} "
                f"(its world runs until {plan.ends_at.astimezone():%Y-%m-%d}); --reset seeds a fresh one."
            )
            return
        plan = DemoPlan.new(now, days=options["days"], scale=options["scale"], seed=options["seed"])
        self.stdout.write(
            f"Seeding the demo: {options['days']:g} days of simulated reports for {len(plan.services)} "
            "services, replayed through the real counting, baselines and detector."
        )
        started = time.monotonic()
        with tqdm(
            total=100,
            file=sys.stderr,
            mininterval=0.5,
            bar_format="{desc:<16} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
            desc="simulating",
        ) as bar:

            def tick(amount: float, phase: str) -> None:
                if bar.desc != phase:
                    bar.set_description_str(phase, refresh=False)
                bar.update(amount)

            try:
                seeded = seed(plan, tick)
            except Refused as exc:
                raise CommandError(str(exc)) from None
            bar.update(bar.total - bar.n)
        self.stdout.write(
            f"Stored {seeded.reports:,} reports; the detector found {seeded.spikes} spikes and "
            f"{seeded.incidents} incident(s) in the last "
            f"{(plan.history_until - seeded.detected_from).total_seconds() / 86400:.1f} days, "
            f"in {time.monotonic() - started:.0f} s."
        )

    def _feed(self, options) -> None:
        countries = _checked_feed_options(options)
        run = DemoRun.objects.first()
        if run is None:
            raise CommandError("This database holds no demo: run `python manage.py demo seed` first.")
        plan = DemoPlan.from_dict(run.plan)
        try:
            intake = feeder.Intake(options["url"], proxies=settings.NUM_PROXIES)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not feeder.wait_for(intake, timeout=120):
            raise CommandError(f"Nothing answers at {options['url']} (waited two minutes).")
        # Beside dev.py, the worker and beat print their banners as the site comes up:
        # let them pass, so that what to look at is the last thing on the screen.
        time.sleep(options["settle"])
        now = timezone.now()
        # The reports of the seconds the site took to start are posted at once (a few
        # late reports beat a hole); after a longer stop the feed takes up from now,
        # and the time it was stopped is an intake gap, as it was.
        since = max(plan.history_until, now - timedelta(seconds=feeder.MAX_LATE))
        if since > plan.ends_at - timedelta(minutes=1):
            raise CommandError("This demo's simulated world has ended: `python manage.py demo seed --reset`.")
        site = options["url"]
        services = tuple(slug for slug in LIVE_PROBLEMS if slug in plan.services)

        def plan_outage(at: datetime) -> tuple[LiveOutage, list[str]] | None:
            """The live outage, a few minutes from `at`: not while the last one is still
            open, since a new outage would only join its spikes and show nothing new."""
            if Spike.objects.open().filter(service__slug__in=services).exists():
                return None
            start = feeder.minutes_from(at, options["outage_in"])
            outage = live_outage(plan, start, minutes=options["outage_minutes"], regions=countries)
            return outage, outage_lines(outage, site, at)

        first = None if options["no_outage"] or not services else plan_outage(now)
        lines = briefing(plan, site, now) + [""]
        if first:
            lines += first[1]
        elif not options["no_outage"] and services:
            lines += waiting_lines(services)
        lines.append("  The lines below say what happens as it happens. Ctrl-C stops the demo.")
        self.stdout.write("\n".join(lines))
        if not settings.NUM_PROXIES:
            self.stdout.write(
                "  NUM_PROXIES is 0: the site will see every report come from this one address and "
                "refuse most of them (start it with NUM_PROXIES=1, as dev.py run --demo does)."
            )
        until = now + timedelta(minutes=options["minutes"]) if options["minutes"] else None
        feed = feeder.Feeder(
            plan,
            intake,
            self.stdout,
            outage=first[0] if first else None,
            form_share=options["form_share"],
            watch=SpikeWatch(site),
            planner=None if first or options["no_outage"] else plan_outage,
        )
        # Stopped by dev.py (SIGTERM) or Ctrl-C: say what was done, without a traceback.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            tally = feed.run(since, until)
        except KeyboardInterrupt:
            tally = feed.tally
        self.stdout.write(
            f"The feeder posted {sum(tally.sent.values()):,} reports, {tally.accepted:,} accepted."
        )


def _checked_feed_options(options) -> tuple[str, ...] | None:
    """Raise CommandError on an option `feed` cannot follow; returns the countries."""
    for name, low, high in (("outage_in", 0, 24 * 60), ("outage_minutes", 1, 24 * 60), ("form_share", 0, 1)):
        if not low <= options[name] <= high:
            raise CommandError(f"--{name.replace('_', '-')} must be between {low} and {high}.")
    if options["minutes"] is not None and options["minutes"] <= 0:
        raise CommandError("--minutes must be above 0.")
    return _countries(options["countries"])


def _countries(text: str | None) -> tuple[str, ...] | None:
    """--countries as region codes of the simulated world, or CommandError naming them."""
    if not text:
        return None
    codes = tuple(code.strip().upper() for code in text.split(",") if code.strip())
    unknown = [code for code in codes if code not in REGIONS]
    if unknown or not codes:
        raise CommandError(
            f"--countries: {', '.join(unknown) or 'none given'}; the simulated world has {', '.join(REGIONS)}."
        )
    return codes


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
