"""Move accepted reports from the Redis stream into the database (reports.mover)."""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError

from reports import mover, stream


class Command(BaseCommand):
    help = (
        "Store the reports waiting in the Redis stream (REPORT_STREAM=1) in the database. "
        "Runs until SIGTERM or Ctrl-C; with --once, drains what is there and exits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="drain the stream, then exit")

    def handle(self, *args, once: bool = False, **options) -> None:
        if once:
            if not stream.enabled():
                raise CommandError("The report stream is off: set REDIS_URL and REPORT_STREAM=1.")
            moved = mover.drain()
            self.stdout.write(f"moved {moved} reports")
            return
        stopping = False

        def stop(*_) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not stream.enabled():
            # Idle rather than exit: a supervisor would restart it in a loop.
            self.stdout.write("The report stream is off (REPORT_STREAM=0 or no REDIS_URL): nothing to move.")
            while not stopping:
                time.sleep(1)
            return
        self.stdout.write(f"moving reports as {mover.consumer_name()}; SIGTERM stops")
        mover.run_forever(lambda: stopping)
