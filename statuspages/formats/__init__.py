"""What a provider's status page says, read from the formats providers publish.

No Django here: bytes in, a `Snapshot` out. Each format module turns its
document into the same shapes: the page's overall indicator, the components
that are not operational, and the incidents and scheduled maintenances with
their updates. Everything taken from a page is plain text (tags stripped,
entities decoded, length capped), so nothing a provider writes reaches our
pages as markup.

A document that cannot be read at all raises `FormatError` with the reason; an
incident that makes no sense (no id, an absurd date) is left out and its reason
kept in `Snapshot.problems`, so one bad entry does not hide the others.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

# The Statuspage indicator names, which the other formats are mapped onto.
OPERATIONAL = "none"
MINOR = "minor"
MAJOR = "major"
CRITICAL = "critical"
MAINTENANCE = "maintenance"
INDICATORS = (OPERATIONAL, MINOR, MAJOR, CRITICAL, MAINTENANCE)

# Dates a provider could mean: nothing before the web had status pages, and no
# maintenance scheduled more than a year ahead.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_LIMIT = timedelta(days=366)

TITLE_LENGTH = 300
BODY_LENGTH = 5000
MAX_INCIDENTS = 200
MAX_UPDATES = 100


class FormatError(ValueError):
    """The document cannot be read as the format promised; the message says why."""


@dataclass(frozen=True)
class Component:
    name: str
    status: str  # operational, degraded_performance, partial_outage, major_outage, under_maintenance
    group: str = ""

    @property
    def is_operational(self) -> bool:
        return self.status == "operational"


@dataclass(frozen=True)
class Update:
    provider_id: str
    status: str
    body: str
    at: datetime


@dataclass(frozen=True)
class Incident:
    provider_id: str
    title: str
    status: str  # the provider's word: investigating, identified, monitoring, resolved; scheduled...
    impact: str  # one of INDICATORS, or "" when the format does not say
    started_at: datetime
    # When the provider first said anything about it (Statuspage's created_at):
    # the acknowledgement, which may come later than the start it gives.
    acknowledged_at: datetime
    updated_at: datetime | None = None
    resolved_at: datetime | None = None
    url: str = ""
    components: tuple[str, ...] = ()
    is_maintenance: bool = False
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    updates: tuple[Update, ...] = ()


@dataclass
class Snapshot:
    indicator: str  # one of INDICATORS
    description: str
    components: list[Component] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    updated_at: datetime | None = None
    problems: list[str] = field(default_factory=list)
    # Feeds list past incidents too; a Statuspage summary only unresolved ones,
    # so an incident missing from it has been resolved.
    lists_only_unresolved: bool = False

    @property
    def affected(self) -> list[Component]:
        return [c for c in self.components if not c.is_operational]


class _TextOnly(HTMLParser):
    BREAKS = {"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "small"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(value: object, limit: int = BODY_LENGTH, keep_lines: bool = False) -> str:
    """Text without markup: tags removed, entities decoded, whitespace collapsed
    (line breaks kept when asked), at most `limit` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FormatError(f"expected text, got {type(value).__name__}")
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    text = html.unescape("".join(parser.parts))
    text = text.replace("\x00", "")
    if keep_lines:
        lines = (" ".join(line.split()) for line in text.splitlines())
        text = "\n".join(line for line in lines if line)
    else:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse_time(value: object, what: str, now: datetime) -> datetime:
    """An aware UTC datetime from an ISO 8601 string; FormatError when it is
    missing, not a date, or absurd (before 2000, more than a year ahead)."""
    if not isinstance(value, str) or not value.strip():
        raise FormatError(f"{what} is missing")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FormatError(f"{what} is not a date: {value[:40]!r}") from None
    return checked_time(moment, what, now)


def checked_time(moment: datetime, what: str, now: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment < EARLIEST or moment > now + FUTURE_LIMIT:
        raise FormatError(f"{what} is an absurd date: {moment:%Y-%m-%d}")
    return moment


def optional_time(value: object, what: str, now: datetime) -> datetime | None:
    return None if value in (None, "") else parse_time(value, what, now)


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def decode_json_text(body: bytes, content_type: str) -> str:
    """The body as text, refusing an HTML page (a login wall, an error page, a
    status page that moved) where JSON was promised."""
    if looks_like_html(body) or "text/html" in content_type.lower():
        raise FormatError("the page sent HTML where JSON was expected")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("the body is not UTF-8 text") from None


_ID = re.compile(r"[^\x21-\x7e]")


def provider_id(value: object, what: str = "id") -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise FormatError(f"{what} is missing")
    return _ID.sub("", value.strip())[:200]
