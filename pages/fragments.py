"""Parts of pages that many requests share, made once (docs/site.md, "Speed").

Two kinds, each with a key that makes it as fresh as what it is made of:

- What the catalog decides (country names in the reader's language, an edition's
  list of services) is kept in this process until the catalog snapshot is read
  again (reports.catalog: every CATALOG_CACHE_SECONDS, and at once when this
  process changes a catalog row): `per_catalog`.
- What counted minutes decide (a service's chart, the most reported services of
  the last hour) is kept in the shared cache under a key naming the last counted
  minute, as the PNG charts and the maps are: a new minute of counts is a new key,
  so such a part is never older than the counts beside it. Never the status: the
  banner and the outages now are read live on every request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.core.cache import cache

from reports.catalog import CatalogSnapshot, get_catalog

T = TypeVar("T")

# Counted-minute parts live a little longer than the minute that names them (a
# reader's request in the next second of a slow count still finds them); a refit
# baseline shows on the chart within this.
COUNTED_PART_SECONDS = 120

_lock = threading.Lock()
# At most one entry per name and key of the snapshot's life (the lists of services:
# one per edition and language, ~2,000 of a few kB when crawlers visit them all).
_made: dict[tuple[str, Hashable], object] = {}
_made_of: CatalogSnapshot | None = None


def per_catalog(name: str, key: Hashable, make: Callable[[], T]) -> T:
    """`make()`'s value for (`name`, `key`), made again once the catalog snapshot
    changes. The value is shared by every request of the process: never change it."""
    global _made_of
    snapshot = get_catalog()
    with _lock:
        if _made_of is not snapshot:
            _made.clear()
            _made_of = snapshot
        if (name, key) in _made:
            return _made[(name, key)]  # type: ignore[return-value]
    value = make()
    with _lock:
        if _made_of is snapshot:
            _made[(name, key)] = value
    return value


def counted_part(key: str, make: Callable[[], T]) -> T:
    """`make()`'s value, kept in the shared cache under `key`, which must name the
    last counted minute the value is made of (and the language and time zone, when
    it holds words or times)."""
    value = cache.get(key)
    if value is None:
        value = make()
        cache.set(key, value, COUNTED_PART_SECONDS)
    return value
