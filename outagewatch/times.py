"""Time helpers for every app (this module imports none of them)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime | None) -> str | None:
    """A time as the API, the webhooks and the exports write it: ISO 8601 in UTC
    with a Z (as DRF's DateTimeField does), or None."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
