from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.catalog import DEFAULT_CATALOG_FILE, load_catalog


class Command(BaseCommand):
    help = "Create or update the service catalog (groups, problem types, services). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, default=DEFAULT_CATALOG_FILE, help="catalog JSON (default: %(default)s)"
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No catalog file at {path}.")
        try:
            summaries = load_catalog(path)
        except (KeyError, ValueError) as exc:
            raise CommandError(f"{path} is not a valid catalog: {exc!r}") from exc
        for name, summary in summaries.items():
            self.stdout.write(f"{name}: {summary}")
