"""The catalog as the intake sees it: an in-memory snapshot, and its loader.

Validating a report must not cost a query per field: each process keeps a snapshot
of the active services, their problem types and the region codes, and reads it
again after CATALOG_CACHE_SECONDS or when this process saves or deletes a catalog
row (the models' post_save and post_delete, connected in ReportsConfig.ready).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

from reports.models import ProblemType, Region, Service, ServiceGroup, ServiceProblem

DEFAULT_CATALOG_FILE = Path(__file__).resolve().parent / "data" / "catalog.json"

# Sent by load_catalog inside its transaction, with the file's data and the
# summaries: apps above the intake (the status sources) load their part of the
# catalog without the intake importing them. A receiver adds its own summary.
catalog_loaded = Signal()


@dataclass(frozen=True)
class ServiceEntry:
    id: int
    slug: str
    name: str
    is_active: bool
    problems: dict[str, int]  # problem slug -> ProblemType id, in the service's order
    # Where it is offered (ISO 3166-1 codes); empty for a service offered worldwide.
    countries: frozenset[str] = frozenset()

    def is_offered_in(self, country: str) -> bool:
        return not self.countries or country in self.countries


@dataclass(frozen=True)
class CatalogSnapshot:
    services: dict[str, ServiceEntry]
    regions: frozenset[str]
    loaded_at: float = field(default_factory=time.monotonic)


_lock = threading.Lock()
_snapshot: CatalogSnapshot | None = None


def _read_snapshot() -> CatalogSnapshot:
    countries: dict[int, set[str]] = {}
    for service_id, code in Service.countries.through.objects.values_list("service_id", "region_id"):
        countries.setdefault(service_id, set()).add(code)
    problems: dict[int, dict[str, int]] = {}
    for service_id, slug, problem_id in ServiceProblem.objects.order_by(
        "service_id", "position", "id"
    ).values_list("service_id", "problem_type__slug", "problem_type_id"):
        problems.setdefault(service_id, {})[slug] = problem_id
    services = {
        slug: ServiceEntry(pk, slug, name, active, problems.get(pk, {}), frozenset(countries.get(pk, ())))
        for pk, slug, name, active in Service.objects.values_list("pk", "slug", "name", "is_active")
    }
    regions = frozenset(Region.objects.values_list("code", flat=True))
    return CatalogSnapshot(services=services, regions=regions)


def get_catalog() -> CatalogSnapshot:
    global _snapshot
    snapshot = _snapshot
    if snapshot is None or time.monotonic() - snapshot.loaded_at > settings.CATALOG_CACHE_SECONDS:
        with _lock:
            try:
                snapshot = _snapshot = _read_snapshot()
            except DatabaseError:
                # The database is down: a catalog a little out of date still lets
                # the intake accept reports into the stream meanwhile.
                if snapshot is None:
                    raise
    return snapshot


def invalidate_catalog(*args, **kwargs) -> None:
    """Forget this process's snapshot (also a receiver of the catalog models' signals)."""
    global _snapshot
    _snapshot = None


# The rows the snapshot is read from.
SNAPSHOT_MODELS = (Service, ServiceProblem, ProblemType, Region)


def watch_catalog_rows() -> None:
    """Forget the snapshot whenever this process saves or deletes a row it reads, or
    changes the countries a service is offered in."""
    for model in SNAPSHOT_MODELS:
        for signal in (post_save, post_delete):
            signal.connect(invalidate_catalog, sender=model, dispatch_uid=f"catalog-{model.__name__}")
    m2m_changed.connect(
        invalidate_catalog, sender=Service.countries.through, dispatch_uid="catalog-countries"
    )


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def upsert(model, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[Any, str]:
    """The row for `lookup` with `values`, and whether it was created, updated or unchanged."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), "created"
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if not changed:
        return obj, "unchanged"
    for key, value in changed.items():
        setattr(obj, key, value)
    obj.save(update_fields=list(changed))
    return obj, "updated"


@transaction.atomic
def load_catalog(path: Path = DEFAULT_CATALOG_FILE) -> dict[str, LoadSummary]:
    """Create or update the groups, problem types and services described in `path`.

    Idempotent: a second run changes nothing. Rows that the file does not mention
    (a service an operator added in the admin) are left alone; `is_active` is only
    set on creation, so an operator's deactivation survives a reload. A service's
    `countries` (where it is offered; left out for worldwide) are set to the file's.
    """
    data = json.loads(Path(path).read_text())
    summaries = {name: LoadSummary() for name in ("groups", "problem types", "services")}

    groups, problems = {}, {}
    known_regions = set(Region.objects.values_list("code", flat=True))
    for entry in data["groups"]:
        groups[entry["slug"]], outcome = upsert(
            ServiceGroup, {"slug": entry["slug"]}, {"name": entry["name"]}
        )
        summaries["groups"].count(outcome)
    for entry in data["problem_types"]:
        problems[entry["slug"]], outcome = upsert(
            ProblemType, {"slug": entry["slug"]}, {"name": entry["name"]}
        )
        summaries["problem types"].count(outcome)
    for entry in data["services"]:
        service, outcome = upsert(
            Service,
            {"slug": entry["slug"]},
            {
                "name": entry["name"],
                "category": entry["category"],
                "group": groups.get(entry.get("group") or ""),
                "status_page_url": entry.get("status_page_url") or "",
            },
        )
        wanted = [problems[slug].pk for slug in entry["problems"]]
        current = list(
            service.service_problems.order_by("position", "id").values_list("problem_type_id", flat=True)
        )
        if current != wanted:
            service.service_problems.all().delete()
            ServiceProblem.objects.bulk_create(
                ServiceProblem(service=service, problem_type_id=pk, position=i) for i, pk in enumerate(wanted)
            )
            if outcome == "unchanged":
                outcome = "updated"
        wanted_countries = set(entry.get("countries") or ())
        unknown = wanted_countries - known_regions
        if unknown:
            raise ValueError(f"{entry['slug']}: unknown country codes {sorted(unknown)} in {path}")
        if set(service.countries.values_list("code", flat=True)) != wanted_countries:
            service.countries.set(sorted(wanted_countries))
            if outcome == "unchanged":
                outcome = "updated"
        summaries["services"].count(outcome)
    catalog_loaded.send(sender=load_catalog, data=data, summaries=summaries)
    invalidate_catalog()
    return summaries
