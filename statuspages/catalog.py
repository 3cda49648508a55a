"""The status sources of the catalog file (reports/data/catalog.json, key
"status_sources"), loaded with the rest of it by `manage.py load_catalog`.

Like the services: loading twice changes nothing, a source the file does not
mention (added in the admin) is left alone, and what an operator may tune
(`is_active`, `interval_seconds`) is only set when a source is created.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from reports.catalog import LoadSummary, upsert
from reports.models import Service
from statuspages.models import SourceKind, StatusSource

_web = URLValidator(schemes=["https", "http"])


def _checked(entry: dict[str, Any], services: dict[str, Service]) -> tuple[Service, dict[str, Any]]:
    where = f"status source {entry.get('url')!r}"
    if entry.get("service") not in services:
        raise ValueError(f"{where}: no service {entry.get('service')!r} in the catalog")
    if entry.get("kind") not in SourceKind.values:
        raise ValueError(f"{where}: kind must be one of {', '.join(SourceKind.values)}")
    for key in ("url", "page_url"):
        try:
            if entry.get(key) or key == "url":
                _web(entry.get(key) or "")
        except ValidationError:
            raise ValueError(f"{where}: {key} is not an http(s) address") from None
    service = services[entry["service"]]
    return service, {
        "name": entry.get("name") or f"{service.name}'s status page",
        "kind": entry["kind"],
        "page_url": entry.get("page_url") or "",
        "region": entry.get("region") or "",
        "components": list(entry.get("components") or []),
        "component_regions": dict(entry.get("component_regions") or {}),
        "options": dict(entry.get("options") or {}),
    }


def load_sources(data: dict[str, Any]) -> LoadSummary:
    summary = LoadSummary()
    services = Service.objects.in_bulk(
        [e.get("service") for e in data.get("status_sources", [])], field_name="slug"
    )
    for entry in data.get("status_sources", []):
        service, values = _checked(entry, services)
        _, outcome = upsert(StatusSource, {"service": service, "url": entry["url"]}, values)
        summary.count(outcome)
    return summary


def on_catalog_loaded(sender, data: dict[str, Any], summaries: dict[str, LoadSummary], **kwargs) -> None:
    summaries["status sources"] = load_sources(data)
