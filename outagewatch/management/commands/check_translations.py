"""manage.py check_translations: extract every translatable message, and fail when a
shipped language lacks one (CI runs it: .ci/run).

1. makemessages for each language of settings.LANGUAGES (GNU gettext's xgettext and
   msgmerge: Debian's `gettext` package) over the project's Python files and
   templates. The catalogs in locale/ are updated in place: a developer runs this,
   translates what it lists, and commits the .po files.
2. Every catalog but English (the messages' own language, whose msgstr stay empty)
   must have each message translated (every plural form), none marked fuzzy
   (msgmerge's guess at a changed message), and the same placeholders as the
   English ("%(service)s"), as msgfmt --check would say.
3. The catalogs are compiled (outagewatch/translations.py) for the tests.

The site has no JavaScript messages of its own (the follow box's script reads its
words from data- attributes that the template translates): no djangojs domain.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import to_locale

from outagewatch.translations import compile_stale

# Not the product's words: tools, tests, dependencies, generated files.
IGNORED = [".venv", "var", "lab", "benchmarks", "*/tests/*", "node_modules", "pages/assets", "test-artifacts"]
SHOWN = 25  # problems listed per language; the count says how many more


def _label(message: Message) -> str:
    ident = message.id if isinstance(message.id, str) else message.id[0]
    where = ", ".join(sorted({path for path, _ in message.locations})) or "?"
    context = f" [{message.context}]" if message.context else ""
    return f"{ident[:70]!r}{context} ({where})"


def catalog_problems(po: Path, locale: str) -> tuple[int, list[str]]:
    """(how many messages, what is wrong with them) of one catalog."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    found = []
    count = 0
    for message in catalog:
        if not message.id:
            continue  # the header
        count += 1
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            found.append(f"untranslated: {_label(message)}")
        elif message.fuzzy:
            found.append(f"fuzzy: {_label(message)}")
        for error in message.check(catalog):
            found.append(f"{error}: {_label(message)}")
    return count, found


class Command(BaseCommand):
    help = "Run makemessages for every shipped language; fail on an untranslated or fuzzy message."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-extract", action="store_true", help="check the catalogs as they are, without makemessages"
        )

    def handle(self, *args, no_extract: bool = False, **options) -> None:
        locales = [to_locale(code) for code, _ in settings.LANGUAGES]
        if not no_extract:
            self.stdout.write(f"makemessages for {', '.join(locales)}")
            call_command(
                "makemessages",
                locale=locales,
                ignore_patterns=IGNORED,
                no_obsolete=True,
                add_location="file",
                verbosity=0,
            )
        failed = []
        english = to_locale(settings.LANGUAGE_CODE)
        for locale in locales:
            if locale == english:
                continue
            po = Path(settings.LOCALE_PATHS[0]) / locale / "LC_MESSAGES" / "django.po"
            if not po.exists():
                failed.append(locale)
                self.stdout.write(f"{locale}: no catalog at {po}")
                continue
            count, found = catalog_problems(po, locale)
            self.stdout.write(f"{locale}: {count} messages, {len(found)} problems")
            for line in found[:SHOWN]:
                self.stdout.write(f"  {line}")
            if len(found) > SHOWN:
                self.stdout.write(f"  ... and {len(found) - SHOWN} more")
            if found:
                failed.append(locale)
        compile_stale()
        if failed:
            raise CommandError(
                f"Incomplete catalogs: {', '.join(failed)}. Translate what is listed in "
                "locale/<language>/LC_MESSAGES/django.po, then run this again."
            )
        self.stdout.write("Every shipped language is complete.")
