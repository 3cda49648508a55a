"""First-level subdivisions of a country (states, provinces, Länder, regions), from
pycountry's ISO 3166-2 data: the optional "where in the country" of a report.

First level means a subdivision with no parent in ISO 3166-2: Bayern in Germany,
England in Britain, Île-de-France (not Paris, a département of it) in France.
Read once per process: pycountry's data does not change while it runs.
"""

from __future__ import annotations

from functools import cache, lru_cache

import pycountry


@cache
def first_level(country: str) -> dict[str, str]:
    """{ISO 3166-2 code: name} of the country's first-level subdivisions, by name."""
    found = pycountry.subdivisions.get(country_code=country.upper()) or []
    top = [s for s in found if s.parent_code is None]
    return {s.code: s.name for s in sorted(top, key=lambda s: s.name)}


@lru_cache(maxsize=4096)
def _lookup(code: str):
    try:
        return pycountry.subdivisions.get(code=code)
    except (KeyError, LookupError):
        return None


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper())
    return country.name if country else code


def problem_with(code: str, country: str) -> str | None:
    """Why `code` is not a first-level subdivision of `country`, in words a reporter
    can act on (with the valid choices); None when it is one."""
    choices = first_level(country)
    if code in choices:
        return None
    where = f"{country_name(country)} ({country})"
    if not choices:
        return f"{where} has no subdivisions to choose from: leave subdivision out."
    listing = ", ".join(f"{c} ({name})" for c, name in choices.items())
    known = _lookup(code)
    if known is None:
        why = f"{code[:12]!r} is not a subdivision of {where}."
    elif known.country_code != country:
        why = f"{code} is a subdivision of {country_name(known.country_code)}, not of {where}."
    else:
        top = known
        while top.parent_code and _lookup(top.parent_code) is not None:
            top = _lookup(top.parent_code)
        why = f"{code} ({known.name}) is part of {top.code} ({top.name}): use the first-level subdivision."
    return f"{why} Choose one of: {listing}, or leave it out."
