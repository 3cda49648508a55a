"""python manage.py purge_reports [--days N] [--dry-run] [--batch-size N]

Deletes raw reports (and their comments) older than REPORT_RETENTION_DAYS, or
--days; counts, spikes and incidents are kept. The daily Celery task does the same.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from spikes import retention


class Command(BaseCommand):
    help = "Delete raw reports older than the retention period (counts and spikes are kept)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep this many days of reports (default: REPORT_RETENTION_DAYS)",
        )
        parser.add_argument("--dry-run", action="store_true", help="only say how many would be deleted")
        parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)

    def handle(self, *args, days: int | None, dry_run: bool, batch_size: int, **options) -> None:
        days = settings.REPORT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError(f"--days must be at least 1 (got {days}): reports of today are never purged.")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1 (got {batch_size}).")
        planned = retention.plan(timezone.now(), days)
        what = f"{planned.reports} reports created before {planned.cutoff:%Y-%m-%d %H:%M} UTC"
        if dry_run:
            self.stdout.write(f"Would delete {what} (dry run: nothing deleted).")
            return
        with tqdm(
            total=planned.reports, unit="report", disable=planned.reports == 0, file=self.stderr
        ) as bar:
            deleted = retention.purge(planned.cutoff, batch_size=batch_size, progress=bar.update)
        self.stdout.write(f"Deleted {deleted} reports created before {planned.cutoff:%Y-%m-%d %H:%M} UTC.")
