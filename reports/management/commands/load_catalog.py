from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.catalog import DEFAULT_CATALOG_FILE, NAMES_MODULE, load_catalog, names_module


class Command(BaseCommand):
    help = "Create or update the service catalog (groups, problem types, services). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", type=Path, default=DEFAULT_CATALOG_FILE, help="catalog JSON (default: %(default)s)"
        )
        parser.add_argument(
            "--names",
            action="store_true",
            help=f"write {NAMES_MODULE.name} (the names to translate) from the catalog instead of loading it",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No catalog file at {path}.")
        if options["names"]:
            NAMES_MODULE.write_text(names_module(path))
            self.stdout.write(f"wrote {NAMES_MODULE}")
            return
        try:
            summaries = load_catalog(path)
        except (KeyError, ValueError) as exc:
            raise CommandError(f"{path} is not a valid catalog: {exc!r}") from exc
        for name, summary in summaries.items():
            self.stdout.write(f"{name}: {summary}")
