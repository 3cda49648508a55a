"""manage.py compile_translations: the .po catalogs to .mo, in Python (no gettext)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from outagewatch.translations import catalogs, compile_catalog, compile_stale


class Command(BaseCommand):
    help = "Compile the translation catalogs (locale/*/LC_MESSAGES/*.po) whose .mo is missing or stale."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="compile every catalog, stale or not")

    def handle(self, *args, all: bool = False, **options) -> None:
        if all:
            done = catalogs()
            for catalog in done:
                compile_catalog(catalog)
        else:
            done = compile_stale()
        for catalog in done:
            self.stdout.write(f"compiled {catalog.po}")
        if not done:
            self.stdout.write("every catalog is compiled")
