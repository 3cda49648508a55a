"""The translation catalogs (locale/<ll>/LC_MESSAGES/django.po) compiled to the .mo
files Django reads, in Python: GNU gettext is not needed to run the site, only to
extract messages (manage.py check_translations). The .mo files are build output, not
committed (a binary that must be rebuilt on every merge of two .po edits):
`manage.py compile_translations`, which dev.py, the tests, the Dockerfile and CI run,
compiles the stale ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation


@dataclass(frozen=True)
class Catalog:
    language: str
    po: Path

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")

    @property
    def stale(self) -> bool:
        return not self.mo.exists() or self.mo.stat().st_mtime < self.po.stat().st_mtime


def catalogs() -> list[Catalog]:
    """Every .po file of the project's locale folders."""
    found = []
    for folder in settings.LOCALE_PATHS:
        for po in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
            found.append(Catalog(po.parent.parent.name, po))
    return found


def compile_catalog(catalog: Catalog) -> None:
    """Write the .mo of one catalog (fuzzy messages left out, as msgfmt does)."""
    with catalog.po.open("rb") as source:
        messages = read_po(source, locale=catalog.language)
    partial = catalog.mo.with_suffix(".mo.partial")
    with partial.open("wb") as target:
        write_mo(target, messages, use_fuzzy=False)
    partial.replace(catalog.mo)


def compile_stale() -> list[Catalog]:
    """Compile the catalogs whose .mo is missing or older than the .po; the ones compiled."""
    stale = [c for c in catalogs() if c.stale]
    for catalog in stale:
        compile_catalog(catalog)
    return stale


def shipped_locales() -> list[str]:
    """The locale folder names of the languages settings.LANGUAGES ships, but English
    (the messages' own language, whose catalog stays empty)."""
    return [translation.to_locale(code) for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
