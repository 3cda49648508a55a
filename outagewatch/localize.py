"""Dates and numbers written the way the active language writes them.

The patterns, month and weekday names, separators and digit grouping are the
Unicode CLDR's (through Babel), so "Mar 5, 14:30" reads "5. März, 14:30" in German,
"5 de mar., 14:30" in Brazilian Portuguese and 12,34,567 in Hindi, and a language
added to settings.LANGUAGES needs no table of its own here.

Babel formats a date in about 20 µs; a service page writes some 600 of them (its
chart's points and table rows). So each (language, style) pattern is compiled once
into a list of pieces that cost about 2 µs a date (`benchmarks/site_latency.py`
guards the page's time). Times are written as given: callers convert them to the
reader's zone first (`timezone.localtime`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from babel import Locale
from babel.numbers import parse_pattern
from django.utils import translation

# A style names a CLDR skeleton (what to show, in any order) and, for a date with a
# time, the time's skeleton: the locale decides the order, the words and the glue.
STYLES: dict[str, tuple[str, str | None]] = {
    "time": ("Hm", None),  # 14:30
    "day_month": ("MMMd", None),  # Mar 5
    "day_time": ("MMMd", "Hm"),  # Mar 5, 14:30
    "date": ("yMMMd", None),  # Mar 5, 2025
    "date_time": ("yMMMd", "Hm"),  # Mar 5, 2025, 14:30
    "weekday_time": ("EHm", None),  # Wed 14:30 (a chart's axis over days)
    "weekday_day": ("MMMEd", None),  # Wed, Mar 5 (an axis over a week)
    "weekday_day_time": ("MMMEd", "Hm"),  # Wed, Mar 5, 14:30 (a bucket of a chart)
}

_FIELD = re.compile(r"'(?:[^']|'')*'|([a-zA-Z])\1*|[^a-zA-Z']+")


def babel_locale(language: str) -> Locale:
    """The CLDR locale of a Django language code (pt-br: pt_BR)."""
    return Locale.parse(translation.to_locale(language))


@dataclass(frozen=True)
class Conventions:
    """How one language writes dates and numbers, read once from the CLDR."""

    patterns: dict[str, Callable[[datetime], str]]
    decimal: str
    group: str
    # Digit groups from the right: (3, 3) for 1,234,567; (3, 2) for 12,34,567.
    grouping: tuple[int, int]
    percent_prefix: str
    percent_suffix: str


def _pattern_for(locale: Locale, style: str) -> str:
    date_skeleton, time_skeleton = STYLES[style]
    pattern = locale.datetime_skeletons[date_skeleton].pattern
    if time_skeleton is None:
        return pattern
    glue = str(locale.datetime_formats["medium"])
    time = locale.datetime_skeletons[time_skeleton].pattern
    return glue.replace("{1}", pattern).replace("{0}", time)


def compile_pattern(locale: Locale, pattern: str) -> Callable[[datetime], str]:
    """A function writing a datetime by a CLDR pattern ("d. MMM, HH:mm"): the
    fields the site's styles use. Any other field is an error, raised here once,
    not on a page."""
    months_abbr = locale.months["format"]["abbreviated"]
    months_wide = locale.months["format"]["wide"]
    days_abbr = locale.days["format"]["abbreviated"]
    days_wide = locale.days["format"]["wide"]
    periods = locale.day_periods["format"]["abbreviated"]
    fields: dict[str, Callable[[datetime], str]] = {
        "y": lambda d: str(d.year),
        "yyyy": lambda d: f"{d.year:04d}",
        "M": lambda d: str(d.month),
        "MM": lambda d: f"{d.month:02d}",
        "MMM": lambda d: months_abbr[d.month],
        "MMMM": lambda d: months_wide[d.month],
        "L": lambda d: str(d.month),
        "LLL": lambda d: locale.months["stand-alone"]["abbreviated"][d.month],
        "d": lambda d: str(d.day),
        "dd": lambda d: f"{d.day:02d}",
        "E": lambda d: days_abbr[d.weekday()],
        "EE": lambda d: days_abbr[d.weekday()],
        "EEE": lambda d: days_abbr[d.weekday()],
        "EEEE": lambda d: days_wide[d.weekday()],
        "c": lambda d: days_abbr[d.weekday()],
        "ccc": lambda d: locale.days["stand-alone"]["abbreviated"][d.weekday()],
        "H": lambda d: str(d.hour),
        "HH": lambda d: f"{d.hour:02d}",
        "h": lambda d: str(d.hour % 12 or 12),
        "hh": lambda d: f"{d.hour % 12 or 12:02d}",
        "m": lambda d: str(d.minute),
        "mm": lambda d: f"{d.minute:02d}",
        "a": lambda d: periods["pm" if d.hour >= 12 else "am"],
    }
    pieces: list[str | Callable[[datetime], str]] = []
    for match in _FIELD.finditer(pattern):
        token = match.group(0)
        if token.startswith("'"):
            pieces.append(token[1:-1].replace("''", "'") or "'")
        elif match.group(1):
            if token not in fields:
                raise ValueError(
                    f"{locale}: the date pattern {pattern!r} uses {token!r}, which is not supported"
                )
            pieces.append(fields[token])
        else:
            pieces.append(token)
    # Adjacent literals merged; the pieces bound in a tuple for a tight loop.
    merged: list[str | Callable[[datetime], str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    bound = tuple(merged)

    def write(value: datetime) -> str:
        return "".join(p if p.__class__ is str else p(value) for p in bound)

    return write


@cache
def conventions(language: str) -> Conventions:
    locale = babel_locale(language)
    symbols = locale.number_symbols["latn"]
    decimal = parse_pattern(locale.decimal_formats[None].pattern)
    percent = parse_pattern(locale.percent_formats[None].pattern)
    primary, secondary = decimal.grouping
    return Conventions(
        patterns={style: compile_pattern(locale, _pattern_for(locale, style)) for style in STYLES},
        decimal=symbols["decimal"],
        group=symbols["group"],
        grouping=(primary, secondary),
        percent_prefix=percent.prefix[0].replace("%", symbols["percentSign"]),
        percent_suffix=percent.suffix[0].replace("%", symbols["percentSign"]),
    )


def conventions_now() -> Conventions:
    """The active language's conventions (a loop writing many dates takes its
    pattern once: `conventions_now().patterns["time"]`)."""
    return conventions(translation.get_language() or "en")


def date(value: datetime, style: str) -> str:
    """`value` written in one of STYLES, in the active language (in `value`'s own zone)."""
    return conventions_now().patterns[style](value)


def number(value: float | int, decimals: int = 0, rules: Conventions | None = None) -> str:
    """12,345 (en), 12.345 (de), 12 345 (fr), 12,345 and 1,23,456 (hi); `decimals`
    digits after the separator. A loop writing many numbers passes the `rules` it
    took once (`conventions_now()`): finding the active language costs more than
    writing a number (a service page's table writes some 1,200)."""
    rules = rules or conventions_now()
    text = f"{abs(value):.{decimals}f}"
    whole, _, fraction = text.partition(".")
    primary, secondary = rules.grouping
    if len(whole) > primary:
        head, tail = whole[:-primary], [whole[-primary:]]
        while len(head) > secondary:
            tail.insert(0, head[-secondary:])
            head = head[:-secondary]
        whole = rules.group.join([head, *tail])
    sign = "-" if value < 0 and text.strip("0.") else ""
    return sign + whole + (rules.decimal + fraction if fraction else "")


def percent(fraction: float) -> str:
    """0.45: 45% (en), 45 % (de, fr)."""
    rules = conventions_now()
    return f"{rules.percent_prefix}{number(round(fraction * 100))}{rules.percent_suffix}"
