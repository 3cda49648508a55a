"""Any JSON status document, read through a mapping of paths the operator gives
in the source's options (dotted paths; "" is the document itself):

    {"incidents": "", "id": "id", "title": "external_desc", "started_at": "begin",
     "resolved_at": "end", "status": "most_recent_update.status", "url": "uri",
     "body": "most_recent_update.text"}

reads Google Cloud's incidents.json. With "indicator" (and "indicator_map" from the
provider's words to none/minor/major/critical/maintenance) the page's overall
status is read too; without it, the incidents going on decide it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from statuspages.formats import (
    INDICATORS,
    MAINTENANCE,
    MAX_INCIDENTS,
    MINOR,
    OPERATIONAL,
    TITLE_LENGTH,
    FormatError,
    Incident,
    Snapshot,
    Update,
    decode_json_text,
    optional_time,
    parse_time,
    plain_text,
    provider_id,
)
from statuspages.formats.feeds import RESOLVED_WORDS

DEFAULTS = {
    "incidents": "incidents",
    "id": "id",
    "title": "name",
    "status": "status",
    "started_at": "created_at",
    "updated_at": "updated_at",
    "resolved_at": "resolved_at",
    "url": "url",
    "body": "body",
}
OPTION_KEYS = {*DEFAULTS, "indicator", "indicator_map", "description", "maintenance"}


def check_options(options: dict) -> list[str]:
    """What is wrong with a source's options, in words (empty when nothing is)."""
    if not isinstance(options, dict):
        return ["The options must be a JSON object of paths."]
    wrong = []
    for key, value in options.items():
        if key not in OPTION_KEYS:
            wrong.append(f"Unknown option {key!r}: use {', '.join(sorted(OPTION_KEYS))}.")
        elif key == "indicator_map":
            if not isinstance(value, dict) or any(v not in INDICATORS for v in value.values()):
                wrong.append(f"indicator_map maps the provider's words to one of {', '.join(INDICATORS)}.")
        elif not isinstance(value, str):
            wrong.append(f"{key} must be a dotted path such as 'status.indicator'.")
    return wrong


def pick(data: Any, path: str) -> Any:
    """The value at a dotted path ("status.indicator", "items.0.name"), or None."""
    for part in filter(None, path.split(".")):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _incident(entry: Any, paths: dict, now: datetime) -> Incident:
    if not isinstance(entry, dict):
        raise FormatError("not an object")
    ident = provider_id(pick(entry, paths["id"]))
    title = plain_text(pick(entry, paths["title"]), TITLE_LENGTH)
    if not title:
        raise FormatError(f"incident {ident} has no title at {paths['title']!r}")
    started = parse_time(pick(entry, paths["started_at"]), f"incident {ident}'s start", now)
    updated = optional_time(pick(entry, paths["updated_at"]), f"incident {ident}'s update time", now)
    resolved = optional_time(pick(entry, paths["resolved_at"]), f"incident {ident}'s end", now)
    status = plain_text(pick(entry, paths["status"]), 40).lower()
    if resolved is None and RESOLVED_WORDS.search(status):
        resolved = updated or now
    body = plain_text(pick(entry, paths["body"]), keep_lines=True)
    url = pick(entry, paths["url"])
    maintenance = bool(paths.get("maintenance") and pick(entry, paths["maintenance"]))
    return Incident(
        provider_id=ident,
        title=title,
        status=status or ("resolved" if resolved else "investigating"),
        impact=MAINTENANCE if maintenance else "",
        started_at=started,
        acknowledged_at=started,
        updated_at=updated,
        resolved_at=resolved,
        url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else "",
        is_maintenance=maintenance,
        updates=(Update(f"{ident}#latest", status, body, updated or started),) if body else (),
    )


def parse_json(body: bytes, content_type: str, now: datetime, options: dict) -> Snapshot:
    wrong = check_options(options)
    if wrong:
        raise FormatError(" ".join(wrong))
    paths = DEFAULTS | options
    try:
        data = json.loads(decode_json_text(body, content_type))
    except (json.JSONDecodeError, RecursionError) as bad:
        raise FormatError(f"the body is not valid JSON ({bad.__class__.__name__})") from None
    entries = pick(data, paths["incidents"])
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise FormatError(f"{paths['incidents'] or 'the document'} is {type(entries).__name__}, not a list")
    problems, incidents = [], []
    for position, entry in enumerate(entries[:MAX_INCIDENTS]):
        try:
            incidents.append(_incident(entry, paths, now))
        except FormatError as bad:
            problems.append(f"incident {position} left out: {bad}")
    going_on = [i for i in incidents if i.resolved_at is None]
    indicator = (
        MINOR if any(not i.is_maintenance for i in going_on) else (MAINTENANCE if going_on else OPERATIONAL)
    )
    if options.get("indicator"):
        said = pick(data, options["indicator"])
        said = options.get("indicator_map", {}).get(said, said) if isinstance(said, str) else said
        if said not in INDICATORS:
            raise FormatError(f"{options['indicator']} is {str(said)[:40]!r}, not a known status")
        indicator = said
    description = (
        plain_text(pick(data, options["description"]), TITLE_LENGTH) if options.get("description") else ""
    )
    return Snapshot(indicator=indicator, description=description, incidents=incidents, problems=problems)
